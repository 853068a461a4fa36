//! Support for the fuzz targets: the invariants they check (shared with
//! the property and regression tests through `#[path]`) and the panic
//! policy.

pub mod invariants;

use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Runs one fuzz input. A panic that escapes `check` is a crash: its
/// message is printed and the process aborts (libFuzzer saves the input).
/// A panic that dockerleak catches itself (the shell view contains the
/// shell parser's panics with `catch_unwind`) is not: libfuzzer-sys's own
/// hook would abort on it, so this replaces that hook with one that only
/// remembers the message.
pub fn contained(check: impl FnOnce()) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        panic::set_hook(Box::new(|info| {
            LAST_PANIC.with(|last| *last.borrow_mut() = info.to_string());
        }));
    });
    if panic::catch_unwind(AssertUnwindSafe(check)).is_err() {
        LAST_PANIC.with(|last| eprintln!("{}", last.borrow()));
        std::process::abort();
    }
}

/// The text a fuzz target lints: the input decoded lossily, as
/// `dockerleak::input` decodes a file with invalid UTF-8.
pub fn text_of(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(data)
}
