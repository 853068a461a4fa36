//! `ONBUILD` triggers as the instructions they become.
//!
//! An `ONBUILD <instruction>` does nothing in the stage that declares it:
//! it is stored in that image's config, and the instruction runs at the
//! start of every image built `FROM` it, with that image's scopes (its
//! build args, the ENV it inherits). BuildKit runs a stage's triggers in
//! the stages of the same file built `FROM` it, right after their `FROM`,
//! then clears them (a grandchild does not run them again).
//!
//! So the analysis does not read the file as written but its *effective*
//! instruction sequence ([`Expanded::file`]):
//! - after the `FROM` of each stage built on a stage that declares
//!   triggers, a copy of each trigger's instruction (its spans are the
//!   trigger's, in the `ONBUILD` line): every rule judges it as part of
//!   that stage, with that stage's scopes and severity;
//! - for a stage that declares triggers and that no stage of the file is
//!   built on (a base image), one stage more at the end of the file, built
//!   `FROM` it, that stands for "any image built from this one": its
//!   instructions are the triggers, it is never part of the built image
//!   (findings there are warnings), and [`super::Stage::downstream_of`]
//!   says what it is;
//! - the `ONBUILD` instructions themselves stay, without their inner
//!   instruction, so that nothing reads a trigger twice.
//!
//! Copies are bounded ([`COPY_BUDGET`]): past it, a stage's triggers stay
//! inside their `ONBUILD` lines and are not run in more stages.

use super::{Analysis, Base};
use crate::source::Span;
use crate::syntax::{Arguments, Dockerfile, Instruction, Keyword, Word};
use std::collections::HashMap;

/// An instruction of the effective sequence that is an `ONBUILD` trigger
/// run where it stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trigger {
    /// The `ONBUILD` instruction (an index of the effective sequence).
    pub onbuild: usize,
    /// The `ONBUILD` keyword, for a label.
    pub keyword: Span,
    /// The stage that declares it.
    pub declared_in: usize,
}

/// The effective instruction sequence of a file with triggers.
#[derive(Clone, Debug)]
pub struct Expanded {
    pub file: Dockerfile,
    /// Per index of `file`: the trigger it is, if any.
    pub triggers: HashMap<usize, Trigger>,
    /// The `FROM`s added for base images: index of `file` → the stage
    /// that declares the triggers.
    pub downstream: HashMap<usize, usize>,
}

/// How many trigger copies a file may add beyond one per instruction
/// written: a stage with thousands of triggers and thousands of stages
/// built on it must not make the analysis quadratic. With it the effective
/// sequence is at most about twice the file.
const COPY_BUDGET: usize = 1024;

/// Instructions BuildKit refuses as a trigger.
fn runs_as_trigger(inner: &Instruction) -> bool {
    !matches!(
        inner.keyword,
        Keyword::From | Keyword::Onbuild | Keyword::Maintainer
    )
}

/// The effective sequence of `dockerfile`, or `None` when it has no
/// trigger (the file is then analysed as written).
pub fn expand(dockerfile: &Dockerfile) -> Option<Expanded> {
    let has_trigger = dockerfile.instructions.iter().any(|instruction| {
        instruction.keyword == Keyword::Onbuild
            && instruction.onbuild.as_deref().is_some_and(runs_as_trigger)
    });
    if !has_trigger {
        return None;
    }
    // The stages as written, to know which stage each FROM builds on.
    let written = Analysis::stages_only(dockerfile);
    let count = written.stages.len();
    let mut declared: Vec<Vec<usize>> = vec![Vec::new(); count];
    for (index, instruction) in dockerfile.instructions.iter().enumerate() {
        if instruction.keyword != Keyword::Onbuild
            || !instruction.onbuild.as_deref().is_some_and(runs_as_trigger)
        {
            continue;
        }
        if let Some(stage) = written.stage_of(index) {
            declared[stage.index].push(index);
        }
    }
    // Which stages run which triggers, within the budget.
    let mut budget = COPY_BUDGET + dockerfile.instructions.len();
    let mut runs: Vec<Option<usize>> = vec![None; count];
    let mut has_child = vec![false; count];
    for stage in &written.stages {
        if let Base::Stage(parent) = stage.base {
            has_child[parent] = true;
            let wanted = declared[parent].len();
            if wanted > 0 && wanted <= budget {
                budget -= wanted;
                runs[stage.index] = Some(parent);
            }
        }
    }
    let placed: Vec<bool> = (0..count)
        .map(|stage| !has_child[stage] || runs.contains(&Some(stage)))
        .collect();

    let mut expanded = Expanded {
        file: Dockerfile {
            directives: dockerfile.directives.clone(),
            instructions: Vec::with_capacity(dockerfile.instructions.len() + declared.len()),
            comments: dockerfile.comments.clone(),
            errors: dockerfile.errors.clone(),
            escape: dockerfile.escape,
        },
        triggers: HashMap::new(),
        downstream: HashMap::new(),
    };
    // Written index → effective index, for the ONBUILD lines.
    let mut moved: HashMap<usize, usize> = HashMap::new();
    let stage_starts: HashMap<usize, usize> = written
        .stages
        .iter()
        .map(|stage| (stage.from_instruction, stage.index))
        .collect();
    let push_triggers = |expanded: &mut Expanded, moved: &HashMap<usize, usize>, parent: usize| {
        for &onbuild in &declared[parent] {
            let written_onbuild = &dockerfile.instructions[onbuild];
            let Some(inner) = written_onbuild.onbuild.as_deref() else {
                continue;
            };
            let at = expanded.file.instructions.len();
            expanded.file.instructions.push(inner.clone());
            expanded.triggers.insert(
                at,
                Trigger {
                    onbuild: moved[&onbuild],
                    keyword: written_onbuild.keyword_word.span,
                    declared_in: parent,
                },
            );
        }
    };
    for (index, instruction) in dockerfile.instructions.iter().enumerate() {
        let declaring = written.stage_of(index).map(|stage| stage.index);
        let mut copy = instruction.clone();
        if instruction.keyword == Keyword::Onbuild && declaring.is_some_and(|stage| placed[stage]) {
            // Analysed where it runs, not here.
            if copy.onbuild.as_deref().is_some_and(runs_as_trigger) {
                copy.onbuild = None;
            }
        }
        moved.insert(index, expanded.file.instructions.len());
        expanded.file.instructions.push(copy);
        if let Some(parent) = stage_starts.get(&index).and_then(|stage| runs[*stage]) {
            push_triggers(&mut expanded, &moved, parent);
        }
    }
    for stage in 0..count {
        if has_child[stage] || declared[stage].is_empty() {
            continue;
        }
        let first = &dockerfile.instructions[declared[stage][0]];
        let at = expanded.file.instructions.len();
        expanded.file.instructions.push(downstream_from(first));
        expanded.downstream.insert(at, stage);
        push_triggers(&mut expanded, &moved, stage);
    }
    Some(expanded)
}

/// The `FROM` of the stage that stands for an image built from a base:
/// no words, located (empty) at the first trigger's keyword.
fn downstream_from(first_trigger: &Instruction) -> Instruction {
    let at = Span::empty(first_trigger.keyword_word.span.start);
    let word = |text: &str| Word {
        text: text.to_string(),
        span: at,
    };
    Instruction {
        keyword: Keyword::From,
        keyword_word: word("FROM"),
        flags: Vec::new(),
        arguments: Arguments::Words(Vec::new()),
        heredocs: Vec::new(),
        onbuild: None,
        span: at,
        rest: word(""),
        rest_map: Vec::new(),
        json: false,
        start_line: first_trigger.start_line,
        end_line: first_trigger.start_line,
        error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn keywords(file: &Dockerfile) -> Vec<Keyword> {
        file.instructions
            .iter()
            .map(|instruction| instruction.keyword)
            .collect()
    }

    #[test]
    fn a_file_without_triggers_is_analysed_as_written() {
        assert!(expand(&parse("FROM a\nONBUILD FROM b\nRUN x\n")).is_none());
    }

    #[test]
    fn triggers_run_after_the_from_of_each_stage_built_on_the_declaring_one() {
        let written = parse(
            "FROM a AS base\nONBUILD ARG TOKEN\nONBUILD RUN use $TOKEN\nRUN x\nFROM base\nRUN y\nFROM base AS other\n",
        );
        let expanded = expand(&written).unwrap();
        use Keyword::*;
        assert_eq!(
            keywords(&expanded.file),
            [From, Onbuild, Onbuild, Run, From, Arg, Run, Run, From, Arg, Run]
        );
        // The ONBUILD lines lose their instruction: it is read where it runs.
        assert!(expanded.file.instructions[1].onbuild.is_none());
        assert_eq!(
            expanded.triggers[&6],
            Trigger {
                onbuild: 2,
                keyword: written.instructions[2].keyword_word.span,
                declared_in: 0,
            }
        );
        assert_eq!(expanded.triggers[&9].onbuild, 1);
        assert!(expanded.downstream.is_empty());
    }

    #[test]
    fn a_base_image_gets_a_stage_for_the_images_built_from_it() {
        let written = parse("FROM a\nONBUILD COPY .npmrc /root/\nFROM b\nRUN x\n");
        let expanded = expand(&written).unwrap();
        use Keyword::*;
        assert_eq!(
            keywords(&expanded.file),
            [From, Onbuild, From, Run, From, Copy]
        );
        assert_eq!(expanded.downstream[&4], 0);
        assert_eq!(expanded.triggers[&5].declared_in, 0);
    }

    #[test]
    fn copies_are_bounded() {
        let mut text = String::from("FROM a AS base\n");
        for index in 0..30 {
            text.push_str(&format!("ONBUILD RUN echo {index}\n"));
        }
        for _ in 0..100 {
            text.push_str("FROM base\n");
        }
        let written = parse(&text);
        let expanded = expand(&written).unwrap();
        let count = written.instructions.len();
        assert!(expanded.file.instructions.len() <= 2 * count + COPY_BUDGET);
        // The first stages built on it run the triggers, the rest do not.
        assert_eq!(expanded.triggers.len() % 30, 0);
        assert!(expanded.triggers.len() >= 30 * 30);
        assert!(expanded.file.instructions[1].onbuild.is_none());
    }

    #[test]
    fn grandchildren_do_not_run_the_triggers_again() {
        let written = parse("FROM a AS one\nONBUILD RUN x\nFROM one AS two\nFROM two\n");
        let expanded = expand(&written).unwrap();
        assert_eq!(expanded.triggers.len(), 1);
        assert_eq!(expanded.file.instructions.len(), 5);
    }
}
