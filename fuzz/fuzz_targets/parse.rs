//! Arbitrary bytes → lossy UTF-8 → the parser, then the syntax tree's
//! invariants (spans in bounds, on character boundaries, ordered; the
//! source rebuilt from nodes and trivia).
#![no_main]

use dockerleak_fuzz::{invariants, text_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dockerleak_fuzz::contained(|| {
        let text = text_of(data);
        let dockerfile = dockerleak::syntax::parse(&text);
        if let Err(problem) = invariants::check_parse(&text, &dockerfile) {
            panic!("parser invariant broken: {problem}");
        }
    });
});
