//! The `dockerleak` binary: everything happens in [`dockerleak::cli`].

fn main() {
    std::process::exit(dockerleak::cli::main());
}
