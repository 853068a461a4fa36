//! What a Dockerfile means, as far as leaks are concerned: its stages and
//! which of them reach the built image, and which ARG/ENV are in scope at
//! each instruction (with their values, where known, and where they came
//! from). Rules ask questions here; they never re-parse text.

pub mod expand;
pub mod flow;
pub mod layers;
pub mod shell;
pub mod triggers;

use crate::source::Span;
use crate::syntax::{Arguments, Dockerfile, Instruction, Keyword, Word};
use expand::{expand_word, Expansion, Lookup, MAX_EXPANSION_LENGTH};
// foldhash: every variable lookup hashes a name (SipHash was 1% of a
// corpus run).
use foldhash::fast::RandomState as FastHash;
use std::collections::HashMap;
use std::ops::Range;

/// Where a stage starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Base {
    /// An image reference (`alpine:3`, `scratch`, `${BASE}` expanded).
    Image(String),
    /// An earlier stage of this file.
    Stage(usize),
}

/// One `FROM` and the instructions after it.
#[derive(Clone, Debug)]
pub struct Stage {
    pub index: usize,
    /// `AS name`, lower-cased as BuildKit compares it.
    pub name: Option<String>,
    pub base: Base,
    /// Index of the FROM instruction.
    pub from_instruction: usize,
    /// Indices of the instructions of the stage (FROM excluded).
    pub instructions: Range<usize>,
    /// Earlier stages this one reads: its base, `COPY --from`, `RUN --mount=from=`.
    pub depends_on: Vec<usize>,
    /// The built image (the target stage) is this stage or builds on it /
    /// copies from it.
    pub reaches_final: bool,
    /// `Some(stage)`: not a stage of the file, but any image built `FROM`
    /// `stage` elsewhere, which runs its `ONBUILD` triggers (see
    /// [`triggers`]). Never part of the built image.
    pub downstream_of: Option<usize>,
}

impl Stage {
    /// The name a user sees: `AS name`, or the stage's index.
    pub fn label(&self) -> String {
        self.name.clone().unwrap_or_else(|| self.index.to_string())
    }
}

/// ARG or ENV.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingKind {
    Arg,
    Env,
}

impl BindingKind {
    /// How a message names it: `build arg` or `ENV`.
    pub fn noun(self) -> &'static str {
        match self {
            BindingKind::Arg => "build arg",
            BindingKind::Env => "ENV",
        }
    }
}

/// A variable declared by ARG or ENV.
#[derive(Clone, Debug)]
pub struct Binding {
    pub name: String,
    pub kind: BindingKind,
    /// The declaring instruction.
    pub instruction: usize,
    /// `None` for a global ARG (before the first FROM).
    pub stage: Option<usize>,
    /// The span of the name.
    pub key_span: Span,
    /// The span of the value as written, if any.
    pub value_span: Option<Span>,
    /// The value with quotes removed and known variables expanded; `None`
    /// for `ARG NAME` without a default.
    pub value: Option<Expansion>,
}

impl Binding {
    /// The value when it is known in full (no unknown variable in it).
    pub fn known_value(&self) -> Option<&str> {
        self.value
            .as_ref()
            .filter(|value| !value.has_unknown)
            .map(|value| value.value.as_str())
    }
}

/// The answer to "what is `$NAME` here?".
#[derive(Clone, Debug)]
pub struct Resolved<'a> {
    /// The declaration in scope.
    pub binding: &'a Binding,
    /// Where the value comes from: the binding itself, or the global ARG
    /// whose default a bare `ARG NAME` in a stage picks up.
    pub origin: &'a Binding,
}

impl Resolved<'_> {
    /// The known value, if any.
    pub fn value(&self) -> Option<&str> {
        self.origin.value.as_ref().map(|value| value.value.as_str())
    }

    /// The value is only known at build time (an ARG without default, or
    /// a value built from one).
    pub fn is_build_time(&self) -> bool {
        match &self.origin.value {
            None => true,
            Some(value) => value.has_unknown,
        }
    }
}

/// The analysed file.
#[derive(Debug)]
pub struct Analysis {
    pub stages: Vec<Stage>,
    /// The stage that is built: `--target`, else the last one.
    pub final_stage: Option<usize>,
    /// `--target NAME` named no stage of the file (the last stage is then
    /// analysed as the built one; the caller reports the usage error).
    pub unknown_target: Option<String>,
    /// Per instruction: its stage (`None` before the first FROM).
    instruction_stage: Vec<Option<usize>>,
    pub bindings: Vec<Binding>,
    bindings_by_name: HashMap<String, Vec<usize>, FastHash>,
    /// Stage indices by `AS` name, ascending (names may repeat).
    stages_by_name: HashMap<String, Vec<usize>, FastHash>,
    escape: char,
    /// Each RUN read as shell (see [`shell`]).
    shell: shell::ShellView,
    /// Per instruction: the paths it adds and removes (see [`layers`]).
    layers: Vec<layers::Layer>,
    /// The instructions whose layer removes something, ascending.
    removing: Vec<usize>,
    /// The stage graph and the paths `COPY --from` carries (see [`flow`]).
    flow: flow::Flow,
    /// The effective instruction sequence, when the file has `ONBUILD`
    /// triggers (see [`triggers`]); indices refer to it.
    expanded: Option<Box<triggers::Expanded>>,
}

impl Analysis {
    /// Analyses `dockerfile`. With `ONBUILD` triggers, what is analysed is
    /// its effective instruction sequence ([`triggers`]): every index this
    /// analysis takes or gives refers to [`Analysis::dockerfile`].
    pub fn new(dockerfile: &Dockerfile, target: Option<&str>) -> Analysis {
        Analysis::analyse(dockerfile, target, None)
    }

    /// [`Analysis::new`] with the shell prefilter of `catalog`
    /// ([`shell::prefilter`]): a RUN that no rule can take anything from
    /// gets an empty shell view. What the rules find is the same.
    pub fn with_prefilter(
        dockerfile: &Dockerfile,
        target: Option<&str>,
        catalog: &crate::secrets::Catalog,
    ) -> Analysis {
        Analysis::analyse(dockerfile, target, Some(catalog))
    }

    fn analyse(
        dockerfile: &Dockerfile,
        target: Option<&str>,
        catalog: Option<&crate::secrets::Catalog>,
    ) -> Analysis {
        let expanded = triggers::expand(dockerfile).map(Box::new);
        let file = expanded
            .as_ref()
            .map_or(dockerfile, |expanded| &expanded.file);
        let downstream = expanded.as_ref().map(|expanded| &expanded.downstream);
        let mut analysis = Analysis::empty(file);
        analysis.build(file, downstream);
        analysis.mark_reaching_stages(target);
        let prefilter = catalog.map(shell::prefilter::Prefilter::for_catalog);
        let filter = prefilter
            .as_deref()
            .zip(catalog)
            .map(|(prefilter, catalog)| {
                shell::prefilter::FileFilter::new(prefilter, catalog, file, &analysis)
            });
        analysis.shell = shell::ShellView::build(file, &analysis, filter);
        analysis.layers = layers::build(file, &analysis);
        analysis.removing = (analysis.layers.iter().enumerate())
            .filter(|(_, layer)| !layer.removed.is_empty())
            .map(|(index, _)| index)
            .collect();
        analysis.flow = flow::Flow::build(file, &analysis, &analysis.layers);
        analysis.expanded = expanded;
        analysis
    }

    /// The stages and scopes of `dockerfile` as written (no trigger run,
    /// no shell view): what [`triggers::expand`] needs.
    fn stages_only(dockerfile: &Dockerfile) -> Analysis {
        let mut analysis = Analysis::empty(dockerfile);
        analysis.build(dockerfile, None);
        analysis
    }

    fn empty(dockerfile: &Dockerfile) -> Analysis {
        Analysis {
            stages: Vec::new(),
            final_stage: None,
            unknown_target: None,
            instruction_stage: Vec::with_capacity(dockerfile.instructions.len()),
            bindings: Vec::new(),
            bindings_by_name: HashMap::default(),
            stages_by_name: HashMap::default(),
            escape: dockerfile.escape,
            shell: shell::ShellView::default(),
            layers: Vec::new(),
            removing: Vec::new(),
            flow: flow::Flow::default(),
            expanded: None,
        }
    }

    /// The instructions this analysis's indices refer to: `written`, or
    /// its effective sequence when it has `ONBUILD` triggers.
    pub fn dockerfile<'a>(&'a self, written: &'a Dockerfile) -> &'a Dockerfile {
        self.expanded
            .as_ref()
            .map_or(written, |expanded| &expanded.file)
    }

    /// The `ONBUILD` trigger that instruction `index` is, run in its stage.
    pub fn trigger(&self, index: usize) -> Option<&triggers::Trigger> {
        self.expanded.as_ref()?.triggers.get(&index)
    }

    /// The stages written in the file (not those standing for images built
    /// from a base elsewhere).
    pub fn written_stages(&self) -> impl Iterator<Item = &Stage> + '_ {
        self.stages
            .iter()
            .filter(|stage| stage.downstream_of.is_none())
    }

    fn build(&mut self, dockerfile: &Dockerfile, downstream: Option<&HashMap<usize, usize>>) {
        let mut growth_budget = EXPANSION_GROWTH_BUDGET;
        for (index, instruction) in dockerfile.instructions.iter().enumerate() {
            if let Some(parent) = downstream.and_then(|downstream| downstream.get(&index)) {
                self.start_downstream_stage(index, *parent);
            } else if instruction.keyword == Keyword::From {
                self.start_stage(index, instruction);
            }
            let current = self.stages.len().checked_sub(1);
            self.instruction_stage.push(current);
            if let Some(stage) = current {
                self.stages[stage].instructions.end = index + 1;
                self.record_dependencies(stage, index, instruction);
            }
            if matches!(instruction.keyword, Keyword::Arg | Keyword::Env) {
                self.record_bindings(index, current, instruction, &mut growth_budget);
            }
        }
    }

    fn start_stage(&mut self, index: usize, instruction: &Instruction) {
        let values = instruction.values();
        let image_word = values.first().copied().unwrap_or("");
        let image = self.expand_at(image_word, index, true).value;
        let name = match (values.get(1), values.get(2)) {
            (Some(keyword), Some(name)) if keyword.eq_ignore_ascii_case("as") => {
                Some(name.to_ascii_lowercase())
            }
            _ => None,
        };
        let base = match self.stage_by_reference(&image, self.stages.len()) {
            Some(parent) => Base::Stage(parent),
            None => Base::Image(image),
        };
        let depends_on = match base {
            Base::Stage(parent) => vec![parent],
            Base::Image(_) => Vec::new(),
        };
        if let Some(name) = &name {
            self.stages_by_name
                .entry(name.clone())
                .or_default()
                .push(self.stages.len());
        }
        self.stages.push(Stage {
            index: self.stages.len(),
            name,
            base,
            from_instruction: index,
            instructions: index + 1..index + 1,
            depends_on,
            reaches_final: false,
            downstream_of: None,
        });
    }

    /// The stage for "an image built `FROM` stage `parent` elsewhere".
    fn start_downstream_stage(&mut self, index: usize, parent: usize) {
        self.stages.push(Stage {
            index: self.stages.len(),
            name: None,
            base: Base::Stage(parent),
            from_instruction: index,
            instructions: index + 1..index + 1,
            depends_on: vec![parent],
            reaches_final: false,
            downstream_of: Some(parent),
        });
    }

    /// An earlier stage named (or numbered) `reference`, before stage `before`.
    fn stage_by_reference(&self, reference: &str, before: usize) -> Option<usize> {
        // By name through the index: a scan of the earlier stages made a
        // file of many FROM lines quadratic.
        let named = self
            .stages_by_name
            .get(&reference.to_ascii_lowercase())
            .and_then(|stages| stages[..stages.partition_point(|stage| *stage < before)].last());
        if let Some(stage) = named {
            return Some(*stage);
        }
        reference
            .parse::<usize>()
            .ok()
            .filter(|number| *number < before)
    }

    fn record_dependencies(&mut self, stage: usize, index: usize, instruction: &Instruction) {
        let effective = instruction.effective();
        if instruction.keyword == Keyword::Onbuild {
            return;
        }
        let mut references = Vec::new();
        if matches!(effective.keyword, Keyword::Copy | Keyword::Add) {
            if let Some(from) = effective.flag("from").and_then(|flag| flag.value.as_ref()) {
                references.push(from.text.clone());
            }
        }
        if effective.keyword == Keyword::Run {
            for flag in effective.flags_named("mount") {
                if let Some(from) = flag.mount.as_ref().and_then(|mount| mount.value("from")) {
                    references.push(from.to_string());
                }
            }
        }
        for reference in references {
            let expanded = self.expand_at(&reference, index, false).value;
            if let Some(dependency) = self.stage_by_reference(&expanded, stage) {
                if !self.stages[stage].depends_on.contains(&dependency) {
                    self.stages[stage].depends_on.push(dependency);
                }
            }
        }
    }

    fn record_bindings(
        &mut self,
        index: usize,
        stage: Option<usize>,
        instruction: &Instruction,
        growth_budget: &mut usize,
    ) {
        let kind = if instruction.keyword == Keyword::Arg {
            BindingKind::Arg
        } else {
            BindingKind::Env
        };
        let pairs = match &instruction.arguments {
            Arguments::Pairs(pairs) | Arguments::Args(pairs) => pairs,
            _ => return,
        };
        for pair in pairs {
            let name = match kind {
                BindingKind::Arg => pair.key.text.clone(),
                BindingKind::Env => self.expand_at(&pair.key.text, index, stage.is_none()).value,
            };
            let value = pair.value.as_ref().map(|value| {
                let expansion = self.expand_at(&value.text, index, stage.is_none());
                spend_growth(expansion, &value.text, growth_budget)
            });
            self.bindings_by_name
                .entry(name.clone())
                .or_default()
                .push(self.bindings.len());
            self.bindings.push(Binding {
                name,
                kind,
                instruction: index,
                stage,
                key_span: pair.key.span,
                value_span: pair.value.as_ref().map(|value| value.span),
                value,
            });
        }
    }

    /// Marks the target stage and every stage it builds on or copies from.
    fn mark_reaching_stages(&mut self, target: Option<&str>) {
        let written = self.written_stages().count();
        let last = written.checked_sub(1);
        let final_stage = match target {
            Some(name) => {
                let named = self.stage_by_reference(name, written);
                if named.is_none() && last.is_some() {
                    self.unknown_target = Some(name.to_string());
                }
                named.or(last)
            }
            None => last,
        };
        self.final_stage = final_stage;
        let mut pending: Vec<usize> = final_stage.into_iter().collect();
        while let Some(stage) = pending.pop() {
            if std::mem::replace(&mut self.stages[stage].reaches_final, true) {
                continue;
            }
            pending.extend(self.stages[stage].depends_on.iter().copied());
        }
    }

    /// The usage error for a `--target` that names no stage, listing the
    /// stages there are (as `docker build` does).
    pub fn target_error(&self) -> Option<String> {
        let target = self.unknown_target.as_ref()?;
        let names: Vec<String> = self.written_stages().map(Stage::label).collect();
        Some(format!(
            "--target `{target}` names no stage of this file (stages: {})",
            names.join(", ")
        ))
    }

    /// The stage of instruction `index` (`None` before the first FROM).
    pub fn stage_of(&self, index: usize) -> Option<&Stage> {
        self.instruction_stage
            .get(index)
            .copied()
            .flatten()
            .and_then(|stage| self.stages.get(stage))
    }

    /// Whether the build reads the stage of instruction `index` at all:
    /// it is the target, the target is built on it, or copies or mounts
    /// from it. Severity asks [`Analysis::in_final_image`] or
    /// [`Analysis::path_reach`] instead: a stage that is only copied from is
    /// not part of the image.
    pub fn reaches_final(&self, index: usize) -> bool {
        self.stage_of(index)
            .is_some_and(|stage| stage.reaches_final)
    }

    /// Whether the layers and the config of instruction `index`'s stage
    /// are part of the built image: the stage is the target or one it is
    /// built `FROM`, transitively.
    pub fn in_final_image(&self, index: usize) -> bool {
        self.stage_of(index)
            .is_some_and(|stage| self.flow.in_lineage(stage.index))
    }

    /// Where `path` (absolute, normalised), put into a layer by instruction
    /// `index`, ends up: in the built image, copied into it, or elsewhere.
    pub fn path_reach(&self, index: usize, path: &str) -> flow::Reach {
        match self.stage_of(index) {
            Some(stage) => self.flow.reach(self, stage.index, index, path),
            None => flow::Reach::Elsewhere,
        }
    }

    /// Whether instruction `later` runs on top of the layer that
    /// instruction `earlier` makes: it comes after it in the same stage, or
    /// in a stage built `FROM` that stage (at any depth).
    pub fn builds_on_layer(&self, later: usize, earlier: usize) -> bool {
        let (Some(earlier_stage), Some(mut stage)) = (self.stage_of(earlier), self.stage_of(later))
        else {
            return false;
        };
        if later <= earlier {
            return false;
        }
        loop {
            if stage.index == earlier_stage.index {
                return true;
            }
            match stage.base {
                Base::Stage(parent) if parent < stage.index => stage = &self.stages[parent],
                _ => return false,
            }
        }
    }

    /// The stage graph and its copies.
    pub fn flow(&self) -> &flow::Flow {
        &self.flow
    }

    /// `$name` as seen by instruction `index`.
    pub fn resolve(&self, name: &str, index: usize) -> Option<Resolved<'_>> {
        let stage = self.instruction_stage.get(index).copied().flatten();
        let is_from = stage.is_some_and(|stage| self.stages[stage].from_instruction == index);
        if is_from || stage.is_none() {
            return self.resolve_global(name, index);
        }
        self.resolve_in_stage(name, index, stage?)
    }

    /// The bindings of `name` declared before instruction `index`, in
    /// instruction order. Bindings are recorded in that order, so a binary
    /// search finds the end: a lookup stays logarithmic however often the
    /// name is declared.
    fn candidates_before(&self, name: &str, index: usize) -> &[usize] {
        let Some(list) = self.bindings_by_name.get(name) else {
            return &[];
        };
        let end = list.partition_point(|binding| self.bindings[*binding].instruction < index);
        &list[..end]
    }

    fn resolve_global(&self, name: &str, index: usize) -> Option<Resolved<'_>> {
        // Global ARGs come before the first FROM: a prefix of the list.
        let before = self.candidates_before(name, index);
        let globals = before.partition_point(|binding| self.bindings[*binding].stage.is_none());
        let binding = &self.bindings[*before[..globals].last()?];
        Some(Resolved {
            binding,
            origin: binding,
        })
    }

    fn resolve_in_stage(&self, name: &str, index: usize, stage: usize) -> Option<Resolved<'_>> {
        // A stage's instructions are contiguous: the latest binding before
        // `index` is in this stage, or no binding of this stage is.
        if let Some(binding) = self
            .candidates_before(name, index)
            .last()
            .map(|binding| &self.bindings[*binding])
            .filter(|binding| binding.stage == Some(stage))
        {
            let origin = match (binding.kind, &binding.value) {
                // `ARG NAME` in a stage takes the global ARG's default.
                (BindingKind::Arg, None) => {
                    let from = self.stages[stage].from_instruction;
                    self.resolve_global(name, from)
                        .map_or(binding, |global| global.origin)
                }
                _ => binding,
            };
            return Some(Resolved { binding, origin });
        }
        // ENV (not ARG) is inherited from a parent stage.
        if let Base::Stage(parent) = self.stages[stage].base {
            let end = self.stages[parent].instructions.end;
            let inherited = self.resolve_in_stage(name, end, parent)?;
            if inherited.binding.kind == BindingKind::Env {
                return Some(inherited);
            }
        }
        None
    }

    /// Processes a word of instruction `index` (quotes, escapes, variables).
    pub fn expand(&self, word: &str, index: usize) -> Expansion {
        self.expand_at(word, index, false)
    }

    fn expand_at(&self, word: &str, index: usize, global: bool) -> Expansion {
        let lookup = |name: &str| {
            let resolved = if global {
                self.resolve_global(name, index)
            } else {
                self.resolve(name, index)
            };
            match resolved {
                None => Lookup::Undefined,
                Some(resolved) => match &resolved.origin.value {
                    None => Lookup::Unknown,
                    Some(value)
                        if value.has_unknown || value.value.len() > MAX_EXPANSION_LENGTH =>
                    {
                        Lookup::Unknown
                    }
                    Some(value) => Lookup::Value(value.value.clone()),
                },
            }
        };
        expand_word(word, self.escape, &lookup)
    }

    /// The shell view of instruction `index`, if it is a RUN.
    pub fn shell(&self, index: usize) -> Option<&shell::ShellScript> {
        self.shell.script(index)
    }

    /// The full shell view of RUN `index`, read now if the prefilter left
    /// it unread; `dockerfile` is [`Analysis::dockerfile`]. For fixes,
    /// which may look at RUNs no rule needed.
    pub fn full_shell<'a>(
        &'a self,
        dockerfile: &'a Dockerfile,
        index: usize,
    ) -> Option<&'a shell::ShellScript> {
        self.shell.full_script(dockerfile, index)
    }

    /// Every RUN's shell view.
    pub fn shell_view(&self) -> &shell::ShellView {
        &self.shell
    }

    /// What instruction `index` adds to and removes from the image.
    pub fn layer(&self, index: usize) -> Option<&layers::Layer> {
        self.layers.get(index)
    }

    /// The instructions after `index` and before `end` whose layer removes
    /// something, in order: a search for the removal of a path looks at
    /// these alone (every later instruction, for each of many adds, made a
    /// file of many COPYs quadratic).
    pub fn removing_between(&self, index: usize, end: usize) -> &[usize] {
        let first = self.removing.partition_point(|removing| *removing <= index);
        let last = self.removing.partition_point(|removing| *removing < end);
        &self.removing[first..last.max(first)]
    }

    /// `expand` on a word of the syntax tree.
    pub fn expand_word(&self, word: &Word, index: usize) -> Expansion {
        self.expand(&word.text, index)
    }
}

/// How many bytes the stored values of all bindings together may grow by
/// substitution. Each expansion is bounded ([`MAX_EXPANSION_LENGTH`]), but
/// a file with a million `ENV A=$A` lines would still store a million
/// copies of the longest value.
const EXPANSION_GROWTH_BUDGET: usize = 16 * 1024 * 1024;

/// `expansion` of `written`, charged to `budget` for what substitution
/// added; once the budget is spent, the value is kept as written and
/// counts as unknown.
fn spend_growth(expansion: Expansion, written: &str, budget: &mut usize) -> Expansion {
    let growth = expansion.value.len().saturating_sub(written.len());
    match budget.checked_sub(growth) {
        Some(left) => {
            *budget = left;
            expansion
        }
        None => Expansion {
            value: written.to_string(),
            references: expansion.references,
            has_unknown: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::syntax::parse;

    fn analyse(text: &str) -> (Dockerfile, Analysis) {
        let dockerfile = parse(text);
        let analysis = Analysis::new(&dockerfile, None);
        (dockerfile, analysis)
    }

    #[test]
    fn stages_reaching_the_final_image_are_marked() {
        let (_, analysis) = analyse(
            "FROM alpine AS base\nFROM base AS build\nRUN make\nFROM alpine AS unused\nRUN x\nFROM scratch\nCOPY --from=build /out /out\n",
        );
        let reaches: Vec<bool> = analysis
            .stages
            .iter()
            .map(|stage| stage.reaches_final)
            .collect();
        assert_eq!(reaches, [true, true, false, true]);
        assert_eq!(analysis.stages[1].base, Base::Stage(0));
        assert!(!analysis.reaches_final(4));
        assert!(analysis.reaches_final(6));
    }

    #[test]
    fn target_changes_the_final_stage() {
        let dockerfile = parse("FROM a AS one\nFROM b AS two\n");
        let analysis = Analysis::new(&dockerfile, Some("one"));
        assert_eq!(analysis.final_stage, Some(0));
        assert!(!analysis.stages[1].reaches_final);
        assert_eq!(analysis.target_error(), None);
    }

    #[test]
    fn a_target_naming_no_stage_is_an_error_listing_the_stages() {
        let dockerfile = parse("FROM a AS one\nFROM b\n");
        let analysis = Analysis::new(&dockerfile, Some("onne"));
        assert_eq!(analysis.final_stage, Some(1), "the last stage is analysed");
        assert_eq!(
            analysis.target_error().as_deref(),
            Some("--target `onne` names no stage of this file (stages: one, 1)")
        );
    }

    #[test]
    fn mount_from_and_numeric_copy_from_are_dependencies() {
        let (_, analysis) = analyse(
            "FROM a\nFROM b\nFROM c\nRUN --mount=from=0,target=/x true\nCOPY --from=1 /a /b\n",
        );
        assert_eq!(analysis.stages[2].depends_on, [0, 1]);
    }

    #[test]
    fn global_args_need_redeclaration_inside_a_stage() {
        let (_, analysis) = analyse("ARG V=1\nARG W=2\nFROM img:$V\nARG V\nRUN echo $V $W\n");
        assert_eq!(analysis.stages[0].base, Base::Image("img:1".into()));
        let resolved = analysis.resolve("V", 4).unwrap();
        assert_eq!(resolved.value(), Some("1"));
        assert_eq!(resolved.origin.instruction, 0);
        assert_eq!(resolved.binding.instruction, 3);
        assert!(analysis.resolve("W", 4).is_none());
    }

    #[test]
    fn env_is_inherited_through_from_stage_but_arg_is_not() {
        let (_, analysis) =
            analyse("FROM a AS base\nENV HOME_DIR=/home/app\nARG TOKEN\nFROM base\nRUN x\n");
        assert_eq!(
            analysis.resolve("HOME_DIR", 4).unwrap().value(),
            Some("/home/app")
        );
        assert!(analysis.resolve("TOKEN", 4).is_none());
    }

    #[test]
    fn env_from_arg_keeps_its_origin() {
        let (_, analysis) = analyse("FROM a\nARG TOKEN\nENV TOKEN=$TOKEN\nRUN x\n");
        let resolved = analysis.resolve("TOKEN", 3).unwrap();
        assert_eq!(resolved.binding.kind, BindingKind::Env);
        assert!(resolved.is_build_time());
        let references = &resolved.binding.value.as_ref().unwrap().references;
        assert_eq!(references[0].name, "TOKEN");
    }
}
