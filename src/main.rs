//! The `dockerleak` binary: everything happens in [`dockerleak::cli`].

/// mimalloc instead of the system allocator: a lint allocates many small
/// strings and vectors (the shell view of every RUN), and glibc's malloc
/// and free were a quarter of the instructions of a corpus run.
/// (`--features system-allocator` keeps the system's, for heap profilers.)
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(dockerleak::cli::main());
}
