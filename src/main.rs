//! The `dockerleak` binary: everything happens in [`dockerleak::cli`].

/// mimalloc instead of the system allocator: a lint allocates many small
/// strings and vectors (the shell view of every RUN), and glibc's malloc
/// and free were a quarter of the instructions of a corpus run.
/// (`--features system-allocator` keeps the system's, for heap profilers.)
#[cfg(not(feature = "system-allocator"))]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    #[cfg(not(feature = "system-allocator"))]
    return_freed_memory_soon();
    std::process::exit(dockerleak::cli::main());
}

/// mimalloc keeps freed memory for 1 s (mimalloc 3) before giving it
/// back to the system. A large file's lint frees big blocks (the parser's
/// vectors, growing findings) while it builds others, so that delay kept
/// about 95 MiB more resident at the peak of a 10 MiB file (717 -> 622
/// MiB). 10 ms does as well there as 0 (which cost the corpus 4% of wall
/// time in system calls; 10 ms about 1%). A purge delay set in the
/// environment (`MIMALLOC_PURGE_DELAY`) is left as it is.
#[cfg(not(feature = "system-allocator"))]
fn return_freed_memory_soon() {
    // `mi_option_purge_delay` in mimalloc.h (v2 and v3): the sys crate
    // names no constant for it.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: setting a mimalloc option is thread-safe and has no
    // precondition.
    unsafe { libmimalloc_sys::mi_option_set(PURGE_DELAY, 10) };
}
