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

/// mimalloc 3 reserves its first arena at 1 GiB and initialises the
/// arena's bitmaps for all of it: about 30 of the 415 page faults of a
/// one-file run (a page fault costs more than the instructions of most
/// of a 4 KB lint). 64 MiB holds a whole corpus run (22 MiB peak), and a
/// large file's lint reserves more arenas as it grows. Measured on the
/// 4 KB stdin file: 415 -> 383 page faults, median wall 2.51 -> 2.45 ms;
/// the whole corpus the same. A reserve set in the environment
/// (`MIMALLOC_ARENA_RESERVE`) is left as it is.
///
/// The first arena is reserved by the first allocation, which Rust's
/// runtime makes before `main`: so this runs as an ELF constructor (from
/// `.init_array`, before the runtime starts; mimalloc reads an option set
/// this way instead of its environment default, whichever of the two
/// constructors runs first). Other platforms keep mimalloc's default.
#[cfg(all(not(feature = "system-allocator"), target_os = "linux"))]
#[used]
#[link_section = ".init_array"]
static RESERVE_A_SMALLER_ARENA: extern "C" fn() = reserve_a_smaller_arena;

#[cfg(all(not(feature = "system-allocator"), target_os = "linux"))]
extern "C" fn reserve_a_smaller_arena() {
    // `mi_option_arena_reserve` in mimalloc.h (v3; in KiB).
    const ARENA_RESERVE: libmimalloc_sys::mi_option_t = 23;
    // (`var_os` allocates only when the variable is set: then mimalloc
    // reserves what it says.)
    if std::env::var_os("MIMALLOC_ARENA_RESERVE").is_some() {
        return;
    }
    // SAFETY: as in `return_freed_memory_soon`.
    unsafe { libmimalloc_sys::mi_option_set(ARENA_RESERVE, 64 * 1024) };
}
