//! The rules: one module per rule, each declaring its metadata and its
//! documentation (the doc comment, which is also what `docs/rules/`,
//! `dockerleak explain` and SARIF help are generated from) and a check over
//! the analysed file. `registry()` lists them all.

use crate::analysis::flow::Reach;
use crate::analysis::Analysis;
use crate::config::Config;
use crate::finding::{Finding, Label, Severity, Text, Texts};
use crate::secrets::Catalog;
use crate::source::Span;
use crate::syntax::{Dockerfile, Instruction};

mod dlk000_invalid_directive;
mod dlk001_secret_file_copied;
mod dlk002_secret_deleted_in_later_layer;
mod dlk003_secret_in_arg;
mod dlk004_secret_in_env;
mod dlk005_hardcoded_secret;
mod dlk006_secret_in_run_without_mount;
pub(crate) use dlk006_secret_in_run_without_mount::implicit_reader_runs;
pub(crate) use dlk006_secret_in_run_without_mount::written_pairs::{
    is_device, WRITTEN_PASSWORD_WORDS,
};
mod dlk007_credentials_in_url;
mod dlk008_secret_mount_persisted;
mod dlk009_secret_printed_to_log;
mod dlk010_context_secret_not_ignored;
mod dlk011_secret_passed_as_build_arg;
pub use dlk010_context_secret_not_ignored::ContextScans;
pub use dlk011_secret_passed_as_build_arg::{
    check_definition, DefinitionFinding, SecretPassedAsBuildArg,
};

pub use dlk000_invalid_directive::InvalidDirective;

/// What every rule declares about itself.
#[derive(Debug)]
pub struct RuleMeta {
    /// `DLK001`: stable forever.
    pub code: &'static str,
    /// `secret-file-copied`: kebab-case.
    pub name: &'static str,
    pub severity: Severity,
    /// One line: what it finds.
    pub summary: &'static str,
    /// The doc comment (What it finds / Why it leaks / Example / Fix), as
    /// written, one leading space per line.
    pub docs: &'static str,
}

impl RuleMeta {
    /// The documentation as Markdown (the page under `docs/rules/`).
    pub fn markdown(&self) -> String {
        let body: Vec<&str> = self
            .docs
            .lines()
            .map(|line| line.strip_prefix(' ').unwrap_or(line))
            .collect();
        format!(
            "# {} {}\n\nDefault severity: **{}**\n\n{}\n\n{}\n",
            self.code,
            self.name,
            self.severity,
            self.summary,
            body.join("\n").trim()
        )
    }

    /// Where the rule's documentation is published.
    pub fn help_uri(&self) -> String {
        format!(
            "{}/blob/main/docs/rules/{}.md",
            crate::REPOSITORY,
            self.code
        )
    }
}

/// A rule: metadata plus a check.
pub trait Rule: Sync + Send {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, context: &RuleContext<'_>, findings: &mut Vec<Finding>);

    /// Whether the rule can find secret values (marks spans with
    /// [`FindingBuilder::secret`]). Such a rule runs on every file even
    /// when it is not selected: what it finds is masked in all output
    /// ([`crate::redact`]). A rule that never sees a value says `false`.
    fn finds_secret_values(&self) -> bool {
        true
    }

    /// The fix for `finding` (one of this rule's, among all the file's
    /// `findings`), if the rule has one: see [`crate::fix`]. The rule's
    /// doc comment shows it under `## Fix`.
    fn fix(
        &self,
        context: &RuleContext<'_>,
        finding: &Finding,
        findings: &[Finding],
    ) -> Option<crate::fix::Fix> {
        let _ = (context, finding, findings);
        None
    }
}

/// Declares a rule struct whose doc comment becomes its `RuleMeta::docs`.
macro_rules! declare_rule {
    (
        $(#[doc = $doc:expr])+
        pub struct $name:ident;
        code: $code:literal,
        name: $rule_name:literal,
        severity: $severity:ident,
        summary: $summary:literal $(,)?
    ) => {
        $(#[doc = $doc])+
        pub struct $name;

        impl $name {
            pub const META: $crate::rules::RuleMeta = $crate::rules::RuleMeta {
                code: $code,
                name: $rule_name,
                severity: $crate::finding::Severity::$severity,
                summary: $summary,
                docs: concat!($($doc, "\n"),+),
            };
        }
    };
}
pub(crate) use declare_rule;

/// Every rule, in code order.
pub fn registry() -> &'static [&'static dyn Rule] {
    static RULES: &[&dyn Rule] = &[
        &dlk000_invalid_directive::InvalidDirective,
        &dlk001_secret_file_copied::SecretFileCopied,
        &dlk002_secret_deleted_in_later_layer::SecretDeletedInLaterLayer,
        &dlk003_secret_in_arg::SecretInArg,
        &dlk004_secret_in_env::SecretInEnv,
        &dlk005_hardcoded_secret::HardcodedSecret,
        &dlk006_secret_in_run_without_mount::SecretInRunWithoutMount,
        &dlk007_credentials_in_url::CredentialsInUrl,
        &dlk008_secret_mount_persisted::SecretMountPersisted,
        &dlk009_secret_printed_to_log::SecretPrintedToLog,
        &dlk010_context_secret_not_ignored::ContextSecretNotIgnored,
        &dlk011_secret_passed_as_build_arg::SecretPassedAsBuildArg,
    ];
    RULES
}

/// The rule with this code (case-insensitive), or with this name.
pub fn find(code_or_name: &str) -> Option<&'static dyn Rule> {
    registry().iter().copied().find(|rule| {
        rule.meta().code.eq_ignore_ascii_case(code_or_name)
            || rule.meta().name.eq_ignore_ascii_case(code_or_name)
    })
}

/// Everything a rule may look at.
pub struct RuleContext<'a> {
    pub path: &'a str,
    pub text: &'a str,
    pub dockerfile: &'a Dockerfile,
    pub analysis: &'a Analysis,
    pub catalog: &'a Catalog,
    pub config: &'a Config,
    /// The shared texts of this file's findings: [`RuleContext::finding`]'s
    /// builder keeps each message, help and label once.
    pub texts: &'a Texts,
}

impl<'a> RuleContext<'a> {
    /// The context of the Dockerfile `text` (named `path`), parsed as
    /// `written` and analysed as `analysis`: rules see the file as the
    /// analysis expands it ([`Analysis::dockerfile`]), with the catalog of
    /// `config`.
    pub fn new(
        path: &'a str,
        text: &'a str,
        written: &'a Dockerfile,
        analysis: &'a Analysis,
        config: &'a Config,
        texts: &'a Texts,
    ) -> RuleContext<'a> {
        RuleContext {
            path,
            text,
            dockerfile: analysis.dockerfile(written),
            analysis,
            catalog: config.catalog(),
            config,
            texts,
        }
    }

    /// Top-level instructions with their index.
    pub fn instructions(&self) -> impl Iterator<Item = (usize, &'a Instruction)> + 'a {
        self.dockerfile.instructions.iter().enumerate()
    }

    /// `severity` for a leak by instruction `index` into its stage's layers,
    /// config or history: capped at warning when the stage is not part of
    /// the built image (not the target, nor a stage it is built `FROM`).
    /// A file a stage adds asks [`RuleContext::path_severity`] instead: a
    /// `COPY --from` may carry it into the image. An `ONBUILD` trigger is
    /// judged in the stage that runs it ([`crate::analysis::triggers`]).
    pub fn stage_severity(&self, index: usize, severity: Severity) -> Severity {
        if severity > Severity::Warning && !self.analysis.in_final_image(index) {
            return Severity::Warning;
        }
        severity
    }

    /// Whether instruction `index` is an `ONBUILD` trigger of a base image
    /// that no stage of this file is built on: it runs only in the images
    /// built from this one.
    pub fn runs_downstream(&self, index: usize) -> bool {
        self.analysis
            .stage_of(index)
            .is_some_and(|stage| stage.downstream_of.is_some())
    }

    /// `severity` for a file `path` (absolute) that instruction `index`
    /// puts into a layer, and the way it travels: capped at warning unless
    /// the file is in the built image (its stage is, or a `COPY --from`
    /// carries it there).
    pub fn path_severity(&self, index: usize, path: &str, severity: Severity) -> (Severity, Reach) {
        let reach = self.analysis.path_reach(index, path);
        if severity > Severity::Warning && !reach.is_in_final() {
            return (Severity::Warning, reach);
        }
        (severity, reach)
    }

    /// Where a file put into a layer by instruction `index` lands, for a
    /// message: `into the image`, `into stage build, and COPY --from
    /// carries it into the final image`, or `into stage build (not in the
    /// final image, but kept in the build cache)`.
    pub fn where_it_lands(&self, index: usize, reach: &Reach) -> String {
        let stage = self.stage_label(index).unwrap_or_default();
        if self.runs_downstream(index) {
            return "into every image built from this one (an `ONBUILD` trigger)".to_string();
        }
        match reach {
            Reach::Final => "into the image".to_string(),
            Reach::Copied(_) => {
                format!("into stage {stage}, and `COPY --from` carries it into the final image")
            }
            Reach::Elsewhere => {
                format!("into stage {stage} (not in the final image, but kept in the build cache)")
            }
        }
    }

    /// Secondary labels for the copies that carry a file into the image:
    /// `copied into the final image here` on the last, `copied into stage
    /// NAME here` on the ones before.
    pub fn travel_labels(&self, reach: &Reach) -> Vec<Label> {
        let Reach::Copied(hops) = reach else {
            return Vec::new();
        };
        let flow = self.analysis.flow();
        hops.iter()
            .enumerate()
            .map(|(position, hop)| {
                let message = if position + 1 == hops.len() {
                    "copied into the final image here".to_string()
                } else {
                    let stage = flow.edges[hop.edge].into_stage;
                    format!(
                        "copied into stage {} here",
                        self.analysis.stages[stage].label()
                    )
                };
                Label {
                    span: hop.span,
                    message: self.texts.text(message),
                    file: None,
                }
            })
            .collect()
    }

    /// The stage label of instruction `index` (for a trigger of a base
    /// image: the stage that declares it).
    pub fn stage_label(&self, index: usize) -> Option<String> {
        let stage = self.analysis.stage_of(index)?;
        let stage = stage
            .downstream_of
            .map_or(stage, |declaring| &self.analysis.stages[declaring]);
        Some(stage.label())
    }

    /// A finding of `meta` at `span`, located in instruction `index`.
    pub fn finding(&self, meta: &'static RuleMeta, index: usize, span: Span) -> FindingBuilder<'a> {
        // An ONBUILD trigger runs elsewhere: say where.
        let labels = match self.analysis.trigger(index) {
            Some(trigger) => {
                let message = if self.runs_downstream(index) {
                    "ONBUILD: leaks into every image built from this one".to_string()
                } else {
                    format!(
                        "ONBUILD: runs at the start of stage {}, built FROM this one",
                        self.stage_label(index).unwrap_or_default()
                    )
                };
                vec![Label {
                    span: trigger.keyword,
                    message: self.texts.text(message),
                    file: None,
                }]
            }
            None => Vec::new(),
        };
        FindingBuilder {
            texts: self.texts,
            finding: Finding {
                code: meta.code,
                name: meta.name,
                severity: meta.severity,
                message: Text::default(),
                help: Text::default(),
                span,
                label: Text::default(),
                labels,
                stage: self.stage_label(index).map(|stage| self.texts.text(stage)),
                secrets: Vec::new(),
                fingerprint: String::new(),
                fix: None,
            },
        }
    }
}

/// Fills in a finding step by step. Its texts are shared with the other
/// findings of the file ([`Texts`]).
pub struct FindingBuilder<'a> {
    texts: &'a Texts,
    finding: Finding,
}

impl FindingBuilder<'_> {
    pub fn severity(mut self, severity: Severity) -> Self {
        self.finding.severity = severity;
        self
    }

    pub fn message(mut self, message: impl AsRef<str> + Into<Text>) -> Self {
        self.finding.message = self.texts.text(message);
        self
    }

    pub fn label(mut self, label: impl AsRef<str> + Into<Text>) -> Self {
        self.finding.label = self.texts.text(label);
        self
    }

    pub fn help(mut self, help: impl AsRef<str> + Into<Text>) -> Self {
        self.finding.help = self.texts.text(help);
        self
    }

    /// Adds `labels` (see [`RuleContext::travel_labels`]).
    pub fn labels(mut self, labels: Vec<Label>) -> Self {
        let texts = self.texts;
        self.finding
            .labels
            .extend(labels.into_iter().map(|mut label| {
                texts.share(&mut label.message);
                label
            }));
        self
    }

    pub fn secondary(mut self, span: Span, message: impl AsRef<str> + Into<Text>) -> Self {
        self.finding.labels.push(Label {
            span,
            message: self.texts.text(message),
            file: None,
        });
        self
    }

    /// Marks `span` as holding a secret value: reporters mask it.
    pub fn secret(mut self, span: Span) -> Self {
        self.finding.secrets.push(span);
        self
    }

    /// Attaches a fix built with the rule's own data (see [`crate::fix`]).
    pub fn fix(mut self, fix: Option<crate::fix::Fix>) -> Self {
        self.finding.fix = fix.map(Box::new);
        self
    }

    pub fn build(self) -> Finding {
        self.finding
    }
}

/// Quotes a name for a message.
pub(crate) fn code(text: &str) -> String {
    format!("`{text}`")
}

/// A secret id derived from a file name: `.netrc` → `netrc`.
pub(crate) fn secret_id(path: &str) -> String {
    let trimmed = path.trim_end_matches('/');
    let name = trimmed
        .rsplit('/')
        .next()
        .unwrap_or(trimmed)
        .trim_start_matches('.');
    let id: String = name
        .chars()
        .map(|ch| {
            if ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' {
                ch
            } else {
                '_'
            }
        })
        .collect();
    // `${NPM_TOKEN}` → `NPM_TOKEN`, not `__NPM_TOKEN_`.
    let id = id.trim_matches('_');
    if id.is_empty() {
        "secret".to_string()
    } else {
        id.to_string()
    }
}
