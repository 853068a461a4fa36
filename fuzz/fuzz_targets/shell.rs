//! Arbitrary bytes → lossy UTF-8 → parse → the analysis, whose shell view
//! reads every RUN as shell (brush-parser, then the fallback splitter).
//! Checks that every command, word, reference, assignment and redirection
//! of the view points inside its RUN instruction, and walks the view's
//! queries (`program`, `output_of`, `input_of`, `descendants`).
#![no_main]

use dockerleak::analysis::Analysis;
use dockerleak::source::Span;
use dockerleak_fuzz::{invariants, text_of};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    dockerleak_fuzz::contained(|| {
        let text = text_of(data);
        let dockerfile = dockerleak::syntax::parse(&text);
        let analysis = Analysis::new(&dockerfile, None);
        for (index, script) in analysis.shell_view().scripts() {
            let outer = analysis.dockerfile(&dockerfile).instructions[index].span;
            let check = |what: &str, span: Span| {
                if let Err(problem) = invariants::check_span(&text, span) {
                    panic!("RUN {index}: {what}: {problem}");
                }
                if !outer.contains(span) {
                    panic!("RUN {index}: {what} {span:?} outside the instruction {outer:?}");
                }
            };
            for (position, command) in script.commands.iter().enumerate() {
                check("command", command.span);
                for word in command.words() {
                    check("word", word.span);
                    for reference in &word.references {
                        check("reference", reference.span);
                    }
                    let _ = script.substitution_commands(word);
                }
                for assignment in &command.assignments {
                    check("assignment", assignment.span);
                }
                for redirect in &command.redirects {
                    check("redirect", redirect.span);
                }
                let _ = command.program();
                let _ = script.output_of(position);
                let _ = script.input_of(position);
                let _ = script.descendants(position).count();
            }
        }
    });
});
