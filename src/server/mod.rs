//! `dockerleak server`: a Language Server Protocol 3.17 server over
//! standard input and output (docs/language-server.md is its protocol).
//!
//! It lints with the library exactly as `dockerleak check` does
//! ([`crate::lint::lint_source`], [`crate::builddefs::lint::lint_definition`],
//! the configuration nearest above each file) and offers the fix model's
//! fixes ([`crate::fix`]) as code actions. Messages come from a reader
//! thread ([`transport`]: our own framing, so that a malformed message is
//! answered and the next one read); the main thread handles them in
//! batches: everything already queued is applied in order, then each
//! changed document is linted once (the latest text wins) and, for a
//! client that does not pull diagnostics, published.
//!
//! Every text sent to the client that comes from a document (a message, a
//! label, a code action's title) passes through that document's redactor,
//! as the CLI's reporters do; edits never carry a secret (the fix model
//! drops a fix that would copy one).

mod actions;
pub mod position;
pub mod transport;

use crate::builddefs::kind::FileKind;
use crate::config::{self, Config};
use crate::finding::{FileReport, Severity};
use crate::input::{self, InputErrorKind};
use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::Notification as _;
use lsp_types::request::Request as _;
use lsp_types::{notification, request, Url};
use position::Encoding;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc};
use transport::Incoming;

/// Runs the server on standard input and output; the process's exit code
/// (0 after `shutdown` then `exit`, 1 otherwise).
pub fn run_stdio() -> i32 {
    let (sender, receiver) = mpsc::channel::<Incoming>();
    std::thread::spawn(move || {
        let stdin = io::stdin();
        let mut stdin = stdin.lock();
        while let Ok(Some(incoming)) = transport::read(&mut stdin) {
            if sender.send(incoming).is_err() {
                break;
            }
        }
    });
    // A panic's message may quote data; say only where it happened.
    std::panic::set_hook(Box::new(|info| {
        let place = info
            .location()
            .map(|location| format!("{}:{}", location.file(), location.line()))
            .unwrap_or_default();
        let _ = writeln!(io::stderr(), "dockerleak server: internal error at {place}");
    }));
    let stdout = io::stdout();
    let mut server = Server::new(stdout.lock());
    server.serve(&receiver)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Uninitialized,
    Running,
    ShutDown,
}

/// Settings from `initializationOptions` / `workspace/didChangeConfiguration`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
struct Settings {
    select: Option<Vec<String>>,
    ignore: Option<Vec<String>>,
    min_severity: Option<String>,
    no_inline_ignores: Option<bool>,
    target: Option<String>,
}

/// What the client can do (from `initialize`).
#[derive(Clone, Copy, Debug, Default)]
struct ClientAbilities {
    pull: bool,
    refresh: bool,
    document_changes: bool,
    create_files: bool,
    dynamic_watch: bool,
}

/// An open document.
struct Document {
    text: String,
    version: i32,
    language_id: String,
    /// The file's path (for `file:` URIs).
    path: Option<PathBuf>,
    /// How messages name it: the path, or the URI's last segment.
    name: String,
    /// The last lint of the current text; `None` when the text changed.
    linted: Option<Linted>,
    /// Whether a push client has not seen the current diagnostics yet.
    unpublished: bool,
}

struct Linted {
    /// `None`: a document dockerleak does not lint.
    report: Option<FileReport>,
    kind: Option<FileKind>,
    config: Arc<Config>,
    diagnostics: Vec<lsp_types::Diagnostic>,
    /// For each diagnostic, the finding it shows (`None`: a file error).
    finding_of: Vec<Option<usize>>,
    result_id: String,
}

struct Server<W: Write> {
    out: W,
    phase: Phase,
    encoding: Encoding,
    client: ClientAbilities,
    settings: Settings,
    /// Problems of the settings, shown once.
    settings_problems: Vec<String>,
    roots: Vec<PathBuf>,
    documents: HashMap<Url, Document>,
    /// The configuration file nearest above each directory looked up.
    config_files: HashMap<PathBuf, Option<PathBuf>>,
    /// Loaded configurations by file (`None`: the defaults).
    configs: HashMap<Option<PathBuf>, Arc<Config>>,
    /// Configuration problems already shown (not repeated on every lint).
    shown_problems: HashSet<String>,
    /// Configuration files that have a diagnostic published.
    config_diagnostics: HashSet<Url>,
    next_id: i32,
    next_result: u64,
}

impl<W: Write> Server<W> {
    fn new(out: W) -> Server<W> {
        Server {
            out,
            phase: Phase::Uninitialized,
            encoding: Encoding::Utf16,
            client: ClientAbilities::default(),
            settings: Settings::default(),
            settings_problems: Vec::new(),
            roots: Vec::new(),
            documents: HashMap::new(),
            config_files: HashMap::new(),
            configs: HashMap::new(),
            shown_problems: HashSet::new(),
            config_diagnostics: HashSet::new(),
            next_id: 0,
            next_result: 0,
        }
    }

    fn serve(&mut self, receiver: &mpsc::Receiver<Incoming>) -> i32 {
        loop {
            let Ok(first) = receiver.recv() else {
                // The client went away without `exit`.
                return if self.phase == Phase::ShutDown { 0 } else { 1 };
            };
            let mut batch = vec![first];
            while let Ok(more) = receiver.try_recv() {
                batch.push(more);
            }
            let cancelled: HashSet<RequestId> = batch
                .iter()
                .filter_map(|incoming| match incoming {
                    Incoming::Message(Message::Notification(note))
                        if note.method == notification::Cancel::METHOD =>
                    {
                        serde_json::from_value::<lsp_types::CancelParams>(note.params.clone())
                            .ok()
                            .map(|params| match params.id {
                                lsp_types::NumberOrString::Number(id) => RequestId::from(id),
                                lsp_types::NumberOrString::String(id) => RequestId::from(id),
                            })
                    }
                    _ => None,
                })
                .collect();
            for incoming in batch {
                if let Some(code) = self.handle(incoming, &cancelled) {
                    return code;
                }
            }
            self.publish_pending();
        }
    }

    /// Handles one message; `Some(code)` when the process must exit.
    fn handle(&mut self, incoming: Incoming, cancelled: &HashSet<RequestId>) -> Option<i32> {
        match incoming {
            Incoming::NotJson => {
                self.raw_error(None, ErrorCode::ParseError, "the message is not valid JSON");
            }
            Incoming::NotJsonRpc { id } => self.raw_error(
                id,
                ErrorCode::InvalidRequest,
                "the message is not a JSON-RPC 2.0 request, response or notification",
            ),
            Incoming::BadFraming(problem) => {
                self.log(&format!("skipped a malformed message: {problem}"));
            }
            Incoming::Message(Message::Response(_)) => {
                // Answers to our requests (registration, refresh): nothing
                // to do with them.
            }
            Incoming::Message(Message::Notification(note)) => {
                if note.method == notification::Exit::METHOD {
                    return Some(if self.phase == Phase::ShutDown { 0 } else { 1 });
                }
                if self.phase == Phase::Running {
                    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        self.notification(note)
                    }));
                    if outcome.is_err() {
                        self.log("an internal error while handling a notification");
                    }
                }
            }
            Incoming::Message(Message::Request(request)) => {
                if cancelled.contains(&request.id) {
                    self.error(
                        request.id,
                        ErrorCode::RequestCanceled,
                        "cancelled".to_string(),
                    );
                    return None;
                }
                match self.phase {
                    Phase::Uninitialized if request.method == request::Initialize::METHOD => {
                        self.initialize(request);
                    }
                    Phase::Uninitialized => self.error(
                        request.id,
                        ErrorCode::ServerNotInitialized,
                        "the server is not initialized yet".into(),
                    ),
                    Phase::ShutDown => self.error(
                        request.id,
                        ErrorCode::InvalidRequest,
                        "the server is shut down".into(),
                    ),
                    Phase::Running => {
                        let id = request.id.clone();
                        let outcome =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                self.request(request)
                            }));
                        if outcome.is_err() {
                            self.error(
                                id,
                                ErrorCode::InternalError,
                                "an internal error in dockerleak".into(),
                            );
                        }
                    }
                }
            }
        }
        None
    }

    fn initialize(&mut self, request: Request) {
        let params: lsp_types::InitializeParams = match serde_json::from_value(request.params) {
            Ok(params) => params,
            Err(error) => {
                self.error(
                    request.id,
                    ErrorCode::InvalidParams,
                    format!("invalid initialize parameters: {error}"),
                );
                return;
            }
        };
        let capabilities = &params.capabilities;
        let offers_utf8 = capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_ref())
            .is_some_and(|encodings| encodings.contains(&lsp_types::PositionEncodingKind::UTF8));
        self.encoding = if offers_utf8 {
            Encoding::Utf8
        } else {
            Encoding::Utf16
        };
        let text_document = capabilities.text_document.as_ref();
        let workspace = capabilities.workspace.as_ref();
        let workspace_edit = workspace.and_then(|workspace| workspace.workspace_edit.as_ref());
        self.client = ClientAbilities {
            pull: text_document.is_some_and(|document| document.diagnostic.is_some()),
            refresh: workspace
                .and_then(|workspace| workspace.diagnostic.as_ref())
                .and_then(|diagnostic| diagnostic.refresh_support)
                .unwrap_or(false),
            document_changes: workspace_edit
                .and_then(|edit| edit.document_changes)
                .unwrap_or(false),
            create_files: workspace_edit
                .and_then(|edit| edit.resource_operations.as_ref())
                .is_some_and(|operations| {
                    operations.contains(&lsp_types::ResourceOperationKind::Create)
                }),
            dynamic_watch: workspace
                .and_then(|workspace| workspace.did_change_watched_files.as_ref())
                .and_then(|watch| watch.dynamic_registration)
                .unwrap_or(false),
        };
        #[allow(deprecated)]
        let mut roots: Vec<PathBuf> = params
            .workspace_folders
            .iter()
            .flatten()
            .filter_map(|folder| folder.uri.to_file_path().ok())
            .collect();
        #[allow(deprecated)]
        if let Some(root) = params
            .root_uri
            .as_ref()
            .and_then(|uri| uri.to_file_path().ok())
        {
            if !roots.contains(&root) {
                roots.push(root);
            }
        }
        self.roots = roots;
        if let Some(options) = params.initialization_options {
            self.set_settings(options);
        }
        let capabilities = lsp_types::ServerCapabilities {
            position_encoding: Some(match self.encoding {
                Encoding::Utf8 => lsp_types::PositionEncodingKind::UTF8,
                Encoding::Utf16 => lsp_types::PositionEncodingKind::UTF16,
            }),
            text_document_sync: Some(lsp_types::TextDocumentSyncCapability::Options(
                lsp_types::TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(lsp_types::TextDocumentSyncKind::INCREMENTAL),
                    save: Some(lsp_types::TextDocumentSyncSaveOptions::Supported(true)),
                    ..Default::default()
                },
            )),
            diagnostic_provider: Some(lsp_types::DiagnosticServerCapabilities::Options(
                lsp_types::DiagnosticOptions {
                    identifier: Some("dockerleak".into()),
                    inter_file_dependencies: true,
                    workspace_diagnostics: false,
                    work_done_progress_options: Default::default(),
                },
            )),
            code_action_provider: Some(lsp_types::CodeActionProviderCapability::Options(
                lsp_types::CodeActionOptions {
                    code_action_kinds: Some(vec![
                        lsp_types::CodeActionKind::QUICKFIX,
                        lsp_types::CodeActionKind::new(actions::FIX_ALL_KIND),
                    ]),
                    resolve_provider: Some(false),
                    work_done_progress_options: Default::default(),
                },
            )),
            hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
            execute_command_provider: Some(lsp_types::ExecuteCommandOptions {
                commands: vec![actions::SHOW_BUILD_NOTE.to_string()],
                work_done_progress_options: Default::default(),
            }),
            ..Default::default()
        };
        let result = lsp_types::InitializeResult {
            capabilities,
            server_info: Some(lsp_types::ServerInfo {
                name: "dockerleak".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
        };
        self.phase = Phase::Running;
        self.respond(request.id, json!(result));
    }

    fn set_settings(&mut self, value: Value) {
        let value = match value.get("dockerleak") {
            Some(inner) if inner.is_object() => inner.clone(),
            _ => value,
        };
        if !value.is_object() {
            return;
        }
        self.settings_problems.clear();
        match serde_json::from_value::<Settings>(value) {
            Ok(settings) => self.settings = settings,
            Err(error) => {
                self.settings_problems
                    .push(format!("dockerleak: settings ignored: {error}"));
                self.settings = Settings::default();
            }
        }
        for problem in self.settings_problems.clone() {
            self.show_message(lsp_types::MessageType::WARNING, &problem);
        }
        self.configs.clear();
    }

    fn request(&mut self, request: Request) {
        let id = request.id.clone();
        let method = request.method.clone();
        match method.as_str() {
            request::Initialize::METHOD => self.error(
                id,
                ErrorCode::InvalidRequest,
                "the server is already initialized".into(),
            ),
            request::Shutdown::METHOD => {
                self.phase = Phase::ShutDown;
                self.respond(id, Value::Null);
            }
            request::DocumentDiagnosticRequest::METHOD => {
                let Some(params) = self.params::<request::DocumentDiagnosticRequest>(request)
                else {
                    return;
                };
                let result = self.pull_diagnostics(&params);
                self.respond(id, json!(result));
            }
            request::CodeActionRequest::METHOD => {
                let Some(params) = self.params::<request::CodeActionRequest>(request) else {
                    return;
                };
                let result = self.code_actions(&params);
                self.respond(id, json!(result));
            }
            request::HoverRequest::METHOD => {
                let Some(params) = self.params::<request::HoverRequest>(request) else {
                    return;
                };
                let result = self.hover(&params);
                self.respond(id, json!(result));
            }
            request::ExecuteCommand::METHOD => {
                let Some(params) = self.params::<request::ExecuteCommand>(request) else {
                    return;
                };
                self.execute_command(&params);
                self.respond(id, Value::Null);
            }
            _ => self.error(
                id,
                ErrorCode::MethodNotFound,
                format!("dockerleak does not handle `{}`", truncate(&method)),
            ),
        }
    }

    /// A request's parameters, or `None` after answering InvalidParams.
    fn params<R: lsp_types::request::Request>(&mut self, request: Request) -> Option<R::Params> {
        match serde_json::from_value(request.params) {
            Ok(params) => Some(params),
            Err(error) => {
                self.error(
                    request.id,
                    ErrorCode::InvalidParams,
                    format!("invalid parameters for {}: {error}", R::METHOD),
                );
                None
            }
        }
    }

    fn notification(&mut self, note: Notification) {
        match note.method.as_str() {
            notification::Initialized::METHOD => self.register_watchers(),
            notification::DidOpenTextDocument::METHOD => {
                let Ok(params) =
                    serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(note.params)
                else {
                    return;
                };
                let document = params.text_document;
                let path = document.uri.to_file_path().ok();
                let name = path.as_ref().map_or_else(
                    || uri_name(&document.uri),
                    |path| path.to_string_lossy().into_owned(),
                );
                self.documents.insert(
                    document.uri,
                    Document {
                        text: document.text,
                        version: document.version,
                        language_id: document.language_id,
                        path,
                        name,
                        linted: None,
                        unpublished: true,
                    },
                );
            }
            notification::DidChangeTextDocument::METHOD => {
                let Ok(params) =
                    serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(note.params)
                else {
                    return;
                };
                let encoding = self.encoding;
                let Some(document) = self.documents.get_mut(&params.text_document.uri) else {
                    return;
                };
                for change in params.content_changes {
                    match change.range {
                        None => document.text = change.text,
                        Some(range) => {
                            let index = crate::source::LineIndex::new(&document.text);
                            let start =
                                position::offset(&document.text, &index, range.start, encoding);
                            let end = position::offset(&document.text, &index, range.end, encoding)
                                .max(start);
                            document.text.replace_range(start..end, &change.text);
                        }
                    }
                }
                document.version = params.text_document.version;
                document.linted = None;
                document.unpublished = true;
            }
            notification::DidSaveTextDocument::METHOD => {
                let Ok(params) =
                    serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(note.params)
                else {
                    return;
                };
                // A save may follow changes of files around it (a new
                // `.dockerignore`): look again.
                self.config_files.clear();
                if let Some(document) = self.documents.get_mut(&params.text_document.uri) {
                    if let Some(text) = params.text {
                        document.text = text;
                    }
                    document.linted = None;
                    document.unpublished = true;
                }
            }
            notification::DidCloseTextDocument::METHOD => {
                let Ok(params) =
                    serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(note.params)
                else {
                    return;
                };
                if self.documents.remove(&params.text_document.uri).is_some() && !self.client.pull {
                    self.publish(params.text_document.uri, Vec::new(), None);
                }
            }
            notification::DidChangeWatchedFiles::METHOD => {
                let Ok(params) =
                    serde_json::from_value::<lsp_types::DidChangeWatchedFilesParams>(note.params)
                else {
                    return;
                };
                if !params.changes.is_empty() {
                    self.files_changed();
                }
            }
            notification::DidChangeConfiguration::METHOD => {
                let Ok(params) =
                    serde_json::from_value::<lsp_types::DidChangeConfigurationParams>(note.params)
                else {
                    return;
                };
                self.set_settings(params.settings);
                self.files_changed();
            }
            _ => {}
        }
    }

    /// A configuration or ignore file (or the settings) changed: every open
    /// document is linted again.
    fn files_changed(&mut self) {
        self.config_files.clear();
        self.configs.clear();
        self.shown_problems.clear();
        for document in self.documents.values_mut() {
            document.linted = None;
            document.unpublished = true;
        }
        if self.client.pull {
            if self.client.refresh {
                self.send_request(request::WorkspaceDiagnosticRefresh::METHOD, Value::Null);
            }
            // A configuration file's own diagnostic is pushed whatever the
            // client: lint now so that it is up to date.
            let uris: Vec<Url> = self.documents.keys().cloned().collect();
            let stale: Vec<Url> = self.config_diagnostics.drain().collect();
            for uri in uris {
                self.ensure_linted(&uri);
            }
            for uri in stale {
                if !self.config_diagnostics.contains(&uri) {
                    self.publish(uri, Vec::new(), None);
                }
            }
        } else {
            let stale: Vec<Url> = self.config_diagnostics.drain().collect();
            self.publish_pending();
            for uri in stale {
                if !self.config_diagnostics.contains(&uri) {
                    self.publish(uri, Vec::new(), None);
                }
            }
        }
    }

    fn register_watchers(&mut self) {
        if !self.client.dynamic_watch {
            return;
        }
        let watchers: Vec<lsp_types::FileSystemWatcher> = [
            "**/.dockerleak.toml",
            "**/.dockerignore",
            "**/*.dockerignore",
        ]
        .iter()
        .map(|glob| lsp_types::FileSystemWatcher {
            glob_pattern: lsp_types::GlobPattern::String((*glob).to_string()),
            kind: None,
        })
        .collect();
        let registration = lsp_types::Registration {
            id: "dockerleak-watch".into(),
            method: notification::DidChangeWatchedFiles::METHOD.into(),
            register_options: Some(json!(lsp_types::DidChangeWatchedFilesRegistrationOptions {
                watchers
            })),
        };
        self.send_request(
            request::RegisterCapability::METHOD,
            json!(lsp_types::RegistrationParams {
                registrations: vec![registration]
            }),
        );
    }

    /// Lints `uri` if its text changed since the last lint.
    fn ensure_linted(&mut self, uri: &Url) {
        let Some(document) = self.documents.get(uri) else {
            return;
        };
        if document.linted.is_some() {
            return;
        }
        let (path, name, language_id) = (
            document.path.clone(),
            document.name.clone(),
            document.language_id.clone(),
        );
        let (kind, config) = self.kind_and_config(path, &name, &language_id);
        let document = &self.documents[uri];
        let report = kind.map(|kind| lint_document(document, kind, &config));
        let min_severity = self
            .settings
            .min_severity
            .as_deref()
            .and_then(Severity::parse);
        let (diagnostics, finding_of) = match &report {
            Some(report) => diagnostics_of(report, uri, self.encoding, min_severity),
            None => (Vec::new(), Vec::new()),
        };
        self.next_result += 1;
        let linted = Linted {
            report,
            kind,
            config,
            diagnostics,
            finding_of,
            result_id: self.next_result.to_string(),
        };
        if let Some(document) = self.documents.get_mut(uri) {
            document.linted = Some(linted);
        }
    }

    /// What `document` is read as (`None`: not linted) and its
    /// configuration.
    fn kind_and_config(
        &mut self,
        path: Option<PathBuf>,
        name: &str,
        language_id: &str,
    ) -> (Option<FileKind>, Arc<Config>) {
        let directory = path
            .as_ref()
            .and_then(|path| path.parent().map(Path::to_path_buf))
            .or_else(|| self.roots.first().cloned());
        let config = self.config_for(directory.as_deref());
        let kind = crate::builddefs::lint::kind_by_name(name, &config).or_else(|| {
            language_id
                .eq_ignore_ascii_case("dockerfile")
                .then_some(FileKind::Dockerfile)
        });
        (kind, config)
    }

    /// The configuration of files in `directory`: the nearest
    /// `.dockerleak.toml` above it (the defaults when none, or when it is
    /// invalid: the problem is then shown), with the settings over it.
    fn config_for(&mut self, directory: Option<&Path>) -> Arc<Config> {
        let file = directory.and_then(|directory| {
            if let Some(known) = self.config_files.get(directory) {
                return known.clone();
            }
            let found = config::find_config_file(directory);
            self.config_files
                .insert(directory.to_path_buf(), found.clone());
            found
        });
        if let Some(config) = self.configs.get(&file) {
            return config.clone();
        }
        let base = match &file {
            None => Config::default(),
            Some(path) => {
                let working = path.parent().unwrap_or(Path::new("/"));
                match config::load(Some(path), false, working) {
                    Ok(loaded) => loaded.config,
                    Err(error) => {
                        self.config_problem(path, &error);
                        Config::default()
                    }
                }
            }
        };
        let config = Arc::new(self.apply_settings(base));
        self.configs.insert(file, config.clone());
        config
    }

    fn apply_settings(&mut self, mut config: Config) -> Config {
        let settings = self.settings.clone();
        let mut problems = Vec::new();
        let mut resolve = |codes: &[String]| -> Vec<String> {
            codes
                .iter()
                .filter_map(|code| match config::resolve_rule(code) {
                    Some(canonical) => Some(canonical.to_string()),
                    None => {
                        problems.push(format!(
                            "dockerleak settings: unknown rule code `{}` ({})",
                            truncate(code),
                            config::unknown_rule_help(code)
                        ));
                        None
                    }
                })
                .collect()
        };
        if let Some(select) = settings.select.as_deref().filter(|codes| !codes.is_empty()) {
            config.select = resolve(select);
        }
        if let Some(ignore) = settings.ignore.as_deref() {
            config.ignore = resolve(ignore);
        }
        if let Some(level) = &settings.min_severity {
            if Severity::parse(level).is_none() {
                problems.push(format!(
                    "dockerleak settings: minSeverity `{}` is not note, warning or error",
                    truncate(level)
                ));
            }
        }
        if let Some(no_inline_ignores) = settings.no_inline_ignores {
            config.no_inline_ignores = no_inline_ignores;
        }
        if settings.target.is_some() {
            config.target = settings.target;
        }
        for problem in problems {
            if self.shown_problems.insert(problem.clone()) {
                self.show_message(lsp_types::MessageType::WARNING, &problem);
            }
        }
        config
    }

    /// Shows an invalid configuration file: a diagnostic on it and a
    /// message (once per problem).
    fn config_problem(&mut self, path: &Path, error: &config::ConfigError) {
        let text = error.to_string();
        if self.shown_problems.insert(text.clone()) {
            self.show_message(
                lsp_types::MessageType::ERROR,
                &format!("{text} (linting with the defaults)"),
            );
        }
        let Ok(uri) = Url::from_file_path(path) else {
            return;
        };
        let range = match error.diagnostic() {
            Some(invalid) => {
                let line = invalid.line.unwrap_or(1).saturating_sub(1);
                let column = invalid.column.unwrap_or(1).saturating_sub(1);
                let start = lsp_types::Position::new(line as u32, column as u32);
                lsp_types::Range::new(start, start)
            }
            None => lsp_types::Range::default(),
        };
        let message = match error.diagnostic() {
            Some(invalid) => match (&invalid.key, &invalid.help) {
                (Some(key), Some(help)) => format!("`{key}`: {}\n{help}", invalid.message),
                (Some(key), None) => format!("`{key}`: {}", invalid.message),
                (None, Some(help)) => format!("{}\n{help}", invalid.message),
                (None, None) => invalid.message.clone(),
            },
            None => text,
        };
        let diagnostic = lsp_types::Diagnostic {
            range,
            severity: Some(lsp_types::DiagnosticSeverity::ERROR),
            source: Some("dockerleak".into()),
            message,
            ..Default::default()
        };
        self.config_diagnostics.insert(uri.clone());
        self.publish(uri, vec![diagnostic], None);
    }

    /// Lints and publishes (to a push client) every changed document.
    fn publish_pending(&mut self) {
        if self.client.pull || self.phase != Phase::Running {
            return;
        }
        let pending: Vec<Url> = self
            .documents
            .iter()
            .filter(|(_, document)| document.unpublished)
            .map(|(uri, _)| uri.clone())
            .collect();
        for uri in pending {
            self.ensure_linted(&uri);
            let Some(document) = self.documents.get_mut(&uri) else {
                continue;
            };
            document.unpublished = false;
            let version = document.version;
            let diagnostics = document
                .linted
                .as_ref()
                .map(|linted| linted.diagnostics.clone())
                .unwrap_or_default();
            self.publish(uri, diagnostics, Some(version));
        }
    }

    fn publish(&mut self, uri: Url, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        self.notify(
            notification::PublishDiagnostics::METHOD,
            json!(lsp_types::PublishDiagnosticsParams {
                uri,
                diagnostics,
                version
            }),
        );
    }

    fn pull_diagnostics(
        &mut self,
        params: &lsp_types::DocumentDiagnosticParams,
    ) -> lsp_types::DocumentDiagnosticReportResult {
        let uri = &params.text_document.uri;
        self.ensure_linted(uri);
        let linted = self
            .documents
            .get(uri)
            .and_then(|document| document.linted.as_ref());
        let report = match linted {
            Some(linted) if params.previous_result_id.as_deref() == Some(&linted.result_id) => {
                lsp_types::DocumentDiagnosticReport::Unchanged(
                    lsp_types::RelatedUnchangedDocumentDiagnosticReport {
                        related_documents: None,
                        unchanged_document_diagnostic_report:
                            lsp_types::UnchangedDocumentDiagnosticReport {
                                result_id: linted.result_id.clone(),
                            },
                    },
                )
            }
            _ => lsp_types::DocumentDiagnosticReport::Full(
                lsp_types::RelatedFullDocumentDiagnosticReport {
                    related_documents: None,
                    full_document_diagnostic_report: lsp_types::FullDocumentDiagnosticReport {
                        result_id: linted.map(|linted| linted.result_id.clone()),
                        items: linted
                            .map(|linted| linted.diagnostics.clone())
                            .unwrap_or_default(),
                    },
                },
            ),
        };
        lsp_types::DocumentDiagnosticReportResult::Report(report)
    }

    fn hover(&mut self, params: &lsp_types::HoverParams) -> Option<lsp_types::Hover> {
        let uri = &params.text_document_position_params.text_document.uri;
        self.ensure_linted(uri);
        let document = self.documents.get(uri)?;
        let linted = document.linted.as_ref()?;
        let wanted = params.text_document_position_params.position;
        let mut codes: Vec<&'static str> = Vec::new();
        let mut range = None;
        for diagnostic in &linted.diagnostics {
            let inside = (diagnostic.range.start <= wanted) && (wanted <= diagnostic.range.end);
            let Some(lsp_types::NumberOrString::String(code)) = &diagnostic.code else {
                continue;
            };
            if !inside {
                continue;
            }
            if let Some(rule) = crate::rules::find(code) {
                if !codes.contains(&rule.meta().code) {
                    codes.push(rule.meta().code);
                    range.get_or_insert(diagnostic.range);
                }
            }
        }
        if codes.is_empty() {
            return None;
        }
        let markdown: Vec<String> = codes
            .iter()
            .filter_map(|code| crate::rules::find(code))
            .map(|rule| rule.meta().markdown())
            .collect();
        Some(lsp_types::Hover {
            contents: lsp_types::HoverContents::Markup(lsp_types::MarkupContent {
                kind: lsp_types::MarkupKind::Markdown,
                value: markdown.join("\n---\n\n"),
            }),
            range,
        })
    }

    fn code_actions(
        &mut self,
        params: &lsp_types::CodeActionParams,
    ) -> Vec<lsp_types::CodeActionOrCommand> {
        let uri = &params.text_document.uri;
        self.ensure_linted(uri);
        let Some(document) = self.documents.get(uri) else {
            return Vec::new();
        };
        let context = actions::Context {
            uri,
            document,
            encoding: self.encoding,
            document_changes: self.client.document_changes,
            create_files: self.client.create_files,
        };
        actions::code_actions(&context, params)
    }

    fn execute_command(&mut self, params: &lsp_types::ExecuteCommandParams) {
        if params.command != actions::SHOW_BUILD_NOTE {
            return;
        }
        let Some(note) = params.arguments.first().and_then(Value::as_str) else {
            return;
        };
        // The note comes back from the client: mask it with every open
        // document's secrets before showing it.
        let mut note = note.to_string();
        for document in self.documents.values() {
            if let Some(report) = document.linted.as_ref().and_then(|l| l.report.as_ref()) {
                note = report.mask(&note).into_owned();
            }
        }
        self.show_message(
            lsp_types::MessageType::INFO,
            &format!("Build with: {}", truncate(&note)),
        );
    }

    // Output.

    fn send(&mut self, message: Message) {
        // The client is gone when stdout fails; the reader ends too.
        let _ = transport::write(&mut self.out, &message);
    }

    fn respond(&mut self, id: RequestId, result: Value) {
        self.send(Message::Response(Response::new_ok(id, result)));
    }

    fn error(&mut self, id: RequestId, code: ErrorCode, message: String) {
        self.send(Message::Response(Response::new_err(
            id,
            code as i32,
            message,
        )));
    }

    fn raw_error(&mut self, id: Option<Value>, code: ErrorCode, message: &str) {
        let _ = transport::write_error(&mut self.out, id, code as i32, message);
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(Message::Notification(Notification::new(
            method.to_string(),
            params,
        )));
    }

    fn send_request(&mut self, method: &str, params: Value) {
        self.next_id += 1;
        let id = RequestId::from(format!("dockerleak-{}", self.next_id));
        self.send(Message::Request(Request::new(
            id,
            method.to_string(),
            params,
        )));
    }

    /// Every message shown or logged quotes settings, a configuration or
    /// a client's text at most: tokens in it are masked (documents' own
    /// secrets are masked by their reports before a message is made).
    fn show_message(&mut self, kind: lsp_types::MessageType, message: &str) {
        let message = crate::redact::Redactor::of_tokens(message)
            .mask(message)
            .into_owned();
        self.notify(
            notification::ShowMessage::METHOD,
            json!(lsp_types::ShowMessageParams { typ: kind, message }),
        );
    }

    fn log(&mut self, message: &str) {
        let message = crate::redact::Redactor::of_tokens(message)
            .mask(message)
            .into_owned();
        self.notify(
            notification::LogMessage::METHOD,
            json!(lsp_types::LogMessageParams {
                typ: lsp_types::MessageType::LOG,
                message
            }),
        );
    }
}

/// Lints a document's text as `kind`, as `dockerleak check` lints a file:
/// the size limit and the binary check first.
fn lint_document(document: &Document, kind: FileKind, config: &Config) -> FileReport {
    let text = &document.text;
    let name = &document.name;
    let size = text.len() as u64;
    if size > input::DEFAULT_MAX_FILE_SIZE {
        let error = InputErrorKind::TooLarge {
            size,
            limit: input::DEFAULT_MAX_FILE_SIZE,
        };
        return FileReport::unreadable(name.clone(), error.to_string());
    }
    let sample = &text.as_bytes()[..text.len().min(8 * 1024)];
    if let Err(error @ (InputErrorKind::Binary | InputErrorKind::Utf16)) =
        input::decode(sample.to_vec())
    {
        return FileReport::unreadable(name.clone(), error.to_string());
    }
    match kind {
        FileKind::Dockerfile => crate::lint::lint_source(name, text, config),
        FileKind::Definition(kind) => {
            crate::builddefs::lint::lint_definition(name, name, text, kind, config)
        }
    }
}

/// The diagnostics of a report, and for each the index of its finding.
fn diagnostics_of(
    report: &FileReport,
    uri: &Url,
    encoding: Encoding,
    min_severity: Option<Severity>,
) -> (Vec<lsp_types::Diagnostic>, Vec<Option<usize>>) {
    let text = &report.text;
    let index = &report.line_index;
    let range = |span| position::range(text, index, span, encoding);
    let mut diagnostics = Vec::new();
    let mut finding_of = Vec::new();
    for error in &report.errors {
        let range = match error.span {
            Some(span) if !text.is_empty() => range(span),
            _ => lsp_types::Range::default(),
        };
        diagnostics.push(lsp_types::Diagnostic {
            range,
            severity: Some(lsp_types::DiagnosticSeverity::ERROR),
            source: Some("dockerleak".into()),
            message: report.mask(&error.message).into_owned(),
            ..Default::default()
        });
        finding_of.push(None);
    }
    for (number, finding) in report.findings.iter().enumerate() {
        if min_severity.is_some_and(|min| finding.severity < min) {
            continue;
        }
        let severity = match finding.severity {
            Severity::Error => lsp_types::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp_types::DiagnosticSeverity::WARNING,
            Severity::Note => lsp_types::DiagnosticSeverity::INFORMATION,
        };
        let href = crate::rules::find(finding.code)
            .and_then(|rule| Url::parse(&rule.meta().help_uri()).ok());
        let mut message = report.mask(&finding.message).into_owned();
        if !finding.help.is_empty() {
            message.push('\n');
            message.push_str(&report.mask(&finding.help));
        }
        let related: Vec<lsp_types::DiagnosticRelatedInformation> = finding
            .labels
            .iter()
            .map(|label| lsp_types::DiagnosticRelatedInformation {
                location: lsp_types::Location::new(uri.clone(), range(label.span)),
                message: report.mask(&label.message).into_owned(),
            })
            .collect();
        let fixable = finding.fix.as_ref().is_some_and(|fix| {
            fix.applicability != crate::fix::Applicability::DisplayOnly && !fix.edits.is_empty()
        });
        diagnostics.push(lsp_types::Diagnostic {
            range: range(finding.span),
            severity: Some(severity),
            code: Some(lsp_types::NumberOrString::String(finding.code.to_string())),
            code_description: href.map(|href| lsp_types::CodeDescription { href }),
            source: Some("dockerleak".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            data: Some(json!({ "fixable": fixable })),
            ..Default::default()
        });
        finding_of.push(Some(number));
    }
    (diagnostics, finding_of)
}

/// A name for a document without a file path: the URI's last segment.
fn uri_name(uri: &Url) -> String {
    uri.path_segments()
        .and_then(|mut segments| segments.next_back())
        .filter(|segment| !segment.is_empty())
        .map(percent_decode)
        .unwrap_or_else(|| "Dockerfile".to_string())
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            if let Some(byte) = std::str::from_utf8(&bytes[index + 1..index + 3])
                .ok()
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
            {
                out.push(byte);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A client-given text cut to a length fit for a message.
fn truncate(text: &str) -> String {
    const LIMIT: usize = 100;
    match text.char_indices().nth(LIMIT) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_string(),
    }
}
