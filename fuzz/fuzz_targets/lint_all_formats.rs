//! Arbitrary bytes → lossy UTF-8 → `lint_source`, then `write_report` in
//! every format (`Format::value_variants()`, so new formats are covered
//! without touching this file), with the output checks of
//! `invariants::check_pipeline` (valid UTF-8/JSON, no secret printed).
#![no_main]

use dockerleak::Config;
use dockerleak_fuzz::{invariants, text_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dockerleak_fuzz::contained(|| {
        let text = text_of(data);
        if let Err(problem) = invariants::check_pipeline(&text, &Config::default()) {
            panic!("pipeline invariant broken: {problem}");
        }
    });
});
