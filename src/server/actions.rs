//! Code actions: each finding's fix from the fix model ([`crate::fix`]),
//! "Ignore DLKnnn for this instruction" (the inline directive of
//! [`crate::suppress`]) and `source.fixAll.dockerleak` (the safe fixes of
//! [`crate::fix::fix_source`], the applier of `--fix`).

use super::position::{self, Encoding};
use super::Document;
use crate::builddefs::kind::FileKind;
use crate::builddefs::Kind;
use crate::finding::{FileReport, Finding};
use crate::fix::{Applicability, Edit, Fix};
use crate::source::{LineIndex, Span};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams, Command,
    DocumentChangeOperation, DocumentChanges, OneOf, OptionalVersionedTextDocumentIdentifier,
    ResourceOp, TextDocumentEdit, TextEdit, Url, WorkspaceEdit,
};
use std::collections::HashMap;
use std::path::Path;

/// The kind of the fix-all source action.
pub const FIX_ALL_KIND: &str = "source.fixAll.dockerleak";
/// The command that shows a fix's build-command note.
pub const SHOW_BUILD_NOTE: &str = "dockerleak.showBuildNote";
/// The title of the fix-all action.
pub const FIX_ALL_TITLE: &str = "Fix all safe dockerleak problems";

pub(super) struct Context<'a> {
    pub uri: &'a Url,
    pub document: &'a Document,
    pub encoding: Encoding,
    pub document_changes: bool,
    pub create_files: bool,
}

/// Whether the request's `only` lets actions of `kind` through.
fn allowed(only: Option<&Vec<CodeActionKind>>, kind: &str) -> bool {
    only.is_none_or(|only| {
        only.iter().any(|wanted| {
            let wanted = wanted.as_str();
            kind == wanted || kind.starts_with(&format!("{wanted}."))
        })
    })
}

pub(super) fn code_actions(
    context: &Context<'_>,
    params: &CodeActionParams,
) -> Vec<CodeActionOrCommand> {
    let Some(linted) = context.document.linted.as_ref() else {
        return Vec::new();
    };
    let Some(report) = linted.report.as_ref() else {
        return Vec::new();
    };
    let only = params.context.only.as_ref();
    let wanted = params.range;
    let mut actions = Vec::new();
    if allowed(only, CodeActionKind::QUICKFIX.as_str()) {
        let mut ignores = Vec::new();
        for (diagnostic, finding) in linted.diagnostics.iter().zip(&linted.finding_of) {
            let Some(finding) = finding.and_then(|number| report.findings.get(number)) else {
                continue;
            };
            let overlaps =
                diagnostic.range.start <= wanted.end && wanted.start <= diagnostic.range.end;
            if !overlaps {
                continue;
            }
            if let Some(fix) = &finding.fix {
                if let Some(action) = fix_action(context, report, finding, fix, diagnostic) {
                    actions.push(action);
                }
            }
            if let Some(action) = ignore_action(context, report, linted.kind, finding, diagnostic) {
                ignores.push(action);
            }
        }
        actions.extend(ignores);
    }
    if allowed(only, FIX_ALL_KIND) && linted.kind == Some(FileKind::Dockerfile) {
        if let Some(action) = fix_all_action(context, report, &linted.config) {
            actions.push(action);
        }
    }
    actions
        .into_iter()
        .map(CodeActionOrCommand::CodeAction)
        .collect()
}

/// `first` with its first letter in upper case.
fn capitalized(first: &str) -> String {
    let mut characters = first.chars();
    match characters.next() {
        Some(letter) => letter.to_uppercase().chain(characters).collect(),
        None => String::new(),
    }
}

fn fix_action(
    context: &Context<'_>,
    report: &FileReport,
    finding: &Finding,
    fix: &Fix,
    diagnostic: &lsp_types::Diagnostic,
) -> Option<CodeAction> {
    if fix.applicability == Applicability::DisplayOnly || fix.edits.is_empty() {
        return None;
    }
    let mut edit = Edits::default();
    let own: Vec<&Edit> = fix.own_edits().collect();
    edit.document(
        context,
        own.iter().map(|edit| (edit.span, edit.content.clone())),
    );
    let mut others: HashMap<&str, Vec<&Edit>> = HashMap::new();
    for other in fix.edits.iter().filter(|edit| edit.file.is_some()) {
        if let Some(file) = &other.file {
            others.entry(file.path.as_str()).or_default().push(other);
        }
    }
    for (path, edits) in others {
        edit.other_file(context, Path::new(path), &edits)?;
    }
    let message = capitalized(&report.mask(&fix.message));
    let note = fix
        .build_note
        .as_ref()
        .map(|note| report.mask(note).into_owned());
    let title = match (fix.applicability, &note) {
        (Applicability::Unsafe, Some(note)) => {
            format!("{}: {message} (unsafe; build with: {note})", finding.code)
        }
        (Applicability::Unsafe, None) => format!("{}: {message} (unsafe)", finding.code),
        (_, Some(note)) => format!("{}: {message} (build with: {note})", finding.code),
        (_, None) => format!("{}: {message}", finding.code),
    };
    Some(CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(edit.into_workspace_edit(context)?),
        command: note.map(|note| Command {
            title: "Show the build command".into(),
            command: SHOW_BUILD_NOTE.into(),
            arguments: Some(vec![serde_json::Value::String(note)]),
        }),
        is_preferred: Some(fix.applicability == Applicability::Safe),
        disabled: None,
        data: None,
    })
}

/// "Ignore DLKnnn for this instruction": `# dockerleak ignore=DLKnnn` on a
/// line of its own above the instruction (a build definition: above the
/// finding's line; `//` in a Jenkinsfile).
fn ignore_action(
    context: &Context<'_>,
    report: &FileReport,
    kind: Option<FileKind>,
    finding: &Finding,
    diagnostic: &lsp_types::Diagnostic,
) -> Option<CodeAction> {
    // DLK000 reports a directive: no directive silences it.
    if finding.code == crate::rules::InvalidDirective::META.code {
        return None;
    }
    let text = &report.text;
    let (at, marker, what) = match kind? {
        FileKind::Dockerfile => {
            let dockerfile = crate::syntax::parse(text);
            let start = dockerfile
                .instructions
                .iter()
                .rfind(|instruction| instruction.span.start <= finding.span.start)
                .map_or(finding.span.start, |instruction| instruction.span.start);
            (start, "#", "instruction")
        }
        FileKind::Definition(Kind::Jenkins) => (finding.span.start, "//", "line"),
        FileKind::Definition(_) => (finding.span.start, "#", "line"),
    };
    let index = &report.line_index;
    let line = index.line_of(at.min(text.len()));
    let line_start = index.line_start(line).min(text.len());
    let indent: String = text[line_start..]
        .chars()
        .take_while(|character| *character == ' ' || *character == '\t')
        .collect();
    // A directive already on the line above gets the code added to its
    // list (`ignore=DLK003,DLK004 reason`), not a second directive line.
    let above = line
        .checked_sub(1)
        .and_then(|above| directive_list_end(text, index.line_start(above), line_start, marker));
    let (at, insert) = match above {
        Some(end) => (end, format!(",{}", finding.code)),
        None => {
            let newline = crate::fix::edits::line_end(text);
            let directive = format!(
                "{indent}{marker} dockerleak ignore={}{newline}",
                finding.code
            );
            (line_start, directive)
        }
    };
    let mut edit = Edits::default();
    edit.document(context, std::iter::once((Span::empty(at), insert)));
    Some(CodeAction {
        title: format!("Ignore {} for this {what}", finding.code),
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(edit.into_workspace_edit(context)?),
        command: None,
        is_preferred: Some(false),
        disabled: None,
        data: None,
    })
}

/// Where the code list of a `<marker> dockerleak ignore=…` directive that
/// fills `text[start..end]` (one line) ends; `None` when the line is no
/// such directive (a `global` one included: that is the whole file's).
fn directive_list_end(text: &str, start: usize, end: usize, marker: &str) -> Option<usize> {
    let line = text.get(start..end)?;
    let body = line.trim_start_matches([' ', '\t']);
    let rest = body.strip_prefix(marker)?.trim_start_matches([' ', '\t']);
    let rest = rest.strip_prefix("dockerleak")?;
    let list = rest
        .strip_prefix([' ', '\t'])?
        .trim_start_matches([' ', '\t'])
        .strip_prefix("ignore=")?;
    let length = list
        .find(|character: char| character.is_whitespace())
        .unwrap_or(list.len());
    if length == 0 || list[..length].ends_with(',') {
        return None;
    }
    let list_start = start + (line.len() - list.len());
    Some(list_start + length)
}

fn fix_all_action(
    context: &Context<'_>,
    report: &FileReport,
    config: &crate::config::Config,
) -> Option<CodeAction> {
    let document = context.document;
    let outcome = crate::fix::fix_source(
        &document.name,
        &document.name,
        &document.text,
        config,
        false,
    );
    if !outcome.changed() {
        return None;
    }
    let mut edit = Edits::default();
    edit.document(
        context,
        std::iter::once((Span::new(0, document.text.len()), outcome.text.clone())),
    );
    let mut others: Vec<(&str, Vec<&Edit>)> = Vec::new();
    for other in &outcome.other_edits {
        let Some(file) = &other.file else { continue };
        match others.iter_mut().find(|(path, _)| *path == file.path) {
            Some((_, edits)) => edits.push(other),
            None => others.push((file.path.as_str(), vec![other])),
        }
    }
    for (path, edits) in others {
        edit.other_file(context, Path::new(path), &edits)?;
    }
    let _ = report;
    Some(CodeAction {
        title: FIX_ALL_TITLE.into(),
        kind: Some(CodeActionKind::new(FIX_ALL_KIND)),
        diagnostics: None,
        edit: Some(edit.into_workspace_edit(context)?),
        command: None,
        is_preferred: None,
        disabled: None,
        data: None,
    })
}

/// A workspace edit being built: edits of the document, and of other
/// files (a `.dockerignore`), some of which must be created first.
#[derive(Default)]
struct Edits {
    /// Per file: its URI, the version when it is the open document, the
    /// edits.
    files: Vec<(Url, Option<i32>, Vec<TextEdit>)>,
    creates: Vec<Url>,
}

impl Edits {
    fn document(&mut self, context: &Context<'_>, edits: impl Iterator<Item = (Span, String)>) {
        let text = &context.document.text;
        let index = LineIndex::new(text);
        let edits = edits
            .map(|(span, content)| TextEdit {
                range: position::range(text, &index, span, context.encoding),
                new_text: content,
            })
            .collect();
        self.files
            .push((context.uri.clone(), Some(context.document.version), edits));
    }

    /// The new text of another file: its text on disk with `edits` applied
    /// as `--fix` applies them ([`crate::fix::apply_other_file`]), as one
    /// replacement of the whole file. `None` when it cannot be named or
    /// read.
    fn other_file(&mut self, context: &Context<'_>, path: &Path, edits: &[&Edit]) -> Option<()> {
        let path = if path.is_absolute() {
            path.to_path_buf()
        } else {
            context.document.path.as_ref()?.parent()?.join(path)
        };
        let uri = Url::from_file_path(&path).ok()?;
        let existing =
            match crate::input::read_regular_text(&path, crate::input::MAX_SIDE_FILE_SIZE) {
                Ok(text) => Some(text),
                Err(crate::input::InputErrorKind::NotFound) => None,
                Err(_) => return None,
            };
        let new_text = crate::fix::apply_other_file(existing.as_deref(), edits);
        let old = existing.as_deref().unwrap_or("");
        let index = LineIndex::new(old);
        let range = position::range(old, &index, Span::new(0, old.len()), context.encoding);
        if existing.is_none() {
            self.creates.push(uri.clone());
        }
        self.files
            .push((uri, None, vec![TextEdit { range, new_text }]));
        Some(())
    }

    fn into_workspace_edit(self, context: &Context<'_>) -> Option<WorkspaceEdit> {
        if !context.document_changes {
            if !self.creates.is_empty() {
                // The client cannot create the file.
                return None;
            }
            let mut changes: HashMap<Url, Vec<TextEdit>> = HashMap::new();
            for (uri, _, edits) in self.files {
                changes.entry(uri).or_default().extend(edits);
            }
            return Some(WorkspaceEdit {
                changes: Some(changes),
                ..Default::default()
            });
        }
        if !self.creates.is_empty() && !context.create_files {
            return None;
        }
        let mut operations: Vec<DocumentChangeOperation> = self
            .creates
            .into_iter()
            .map(|uri| {
                DocumentChangeOperation::Op(ResourceOp::Create(lsp_types::CreateFile {
                    uri,
                    options: Some(lsp_types::CreateFileOptions {
                        overwrite: Some(false),
                        ignore_if_exists: Some(true),
                    }),
                    annotation_id: None,
                }))
            })
            .collect();
        for (uri, version, edits) in self.files {
            operations.push(DocumentChangeOperation::Edit(TextDocumentEdit {
                text_document: OptionalVersionedTextDocumentIdentifier { uri, version },
                edits: edits.into_iter().map(OneOf::Left).collect(),
            }));
        }
        Some(WorkspaceEdit {
            document_changes: Some(DocumentChanges::Operations(operations)),
            ..Default::default()
        })
    }
}
