//! `dockerleak server`: the built binary driven over stdio with real
//! `Content-Length` framing, as an editor drives it.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// An AWS secret key that must never come back from the server.
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq9Q3RkT7x";

const LEAKY: &str = "FROM node:20\n\
ARG NPM_TOKEN\n\
RUN echo \"//registry.npmjs.org/:_authToken=${NPM_TOKEN}\" > ~/.npmrc && npm ci\n\
ENV AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq9Q3RkT7x\n";

const TIMEOUT: Duration = Duration::from_secs(60);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    incoming: mpsc::Receiver<Value>,
    /// Everything received, for the secret check.
    seen: Vec<Value>,
    /// Received but not yet taken.
    queue: Vec<Value>,
    next_id: i64,
}

impl Client {
    fn start(directory: &Path) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_dockerleak"))
            .arg("server")
            .current_dir(directory)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dockerleak server");
        let stdout = child.stdout.take().unwrap();
        let (sender, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    let (name, value) = line.split_once(':').expect("a header line");
                    assert_eq!(name, "Content-Length", "unexpected header {line}");
                    length = Some(value.trim().parse::<usize>().unwrap());
                }
                let mut body = vec![0; length.expect("Content-Length")];
                reader.read_exact(&mut body).unwrap();
                let value: Value = serde_json::from_slice(&body).expect("the server sends JSON");
                if sender.send(value).is_err() {
                    return;
                }
            }
        });
        Client {
            stdin: child.stdin.take(),
            child,
            incoming,
            seen: Vec::new(),
            queue: Vec::new(),
            next_id: 0,
        }
    }

    fn raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    fn frame(message: &Value) -> Vec<u8> {
        let body = message.to_string();
        let mut framed = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        framed.extend_from_slice(body.as_bytes());
        framed
    }

    fn send(&mut self, message: Value) {
        self.raw(&Self::frame(&message));
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn send_request(&mut self, method: &str, params: Value) -> i64 {
        self.next_id += 1;
        let id = self.next_id;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        id
    }

    fn receive(&mut self) -> Value {
        let value = self
            .incoming
            .recv_timeout(TIMEOUT)
            .expect("a message from the server in time");
        assert_eq!(value["jsonrpc"], "2.0", "{value}");
        self.seen.push(value.clone());
        value
    }

    /// The first message (queued or new) that `wanted` accepts.
    fn take(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        if let Some(index) = self.queue.iter().position(&wanted) {
            return self.queue.remove(index);
        }
        loop {
            let value = self.receive();
            if wanted(&value) {
                return value;
            }
            self.queue.push(value);
        }
    }

    fn response(&mut self, id: i64) -> Value {
        self.take(|value| value["id"] == json!(id) && value.get("method").is_none())
    }

    /// A request's response (`result` or `error` object).
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.send_request(method, params);
        self.response(id)
    }

    fn notification(&mut self, method: &str) -> Value {
        self.take(|value| value["method"] == method && value.get("id").is_none())
    }

    /// The next diagnostics published for `uri`.
    fn diagnostics(&mut self, uri: &str) -> Value {
        let uri = uri.to_string();
        self.take(move |value| {
            value["method"] == "textDocument/publishDiagnostics" && value["params"]["uri"] == uri
        })["params"]
            .clone()
    }

    fn initialize(&mut self, capabilities: Value, options: Value) -> Value {
        let response = self.request(
            "initialize",
            json!({"processId": null, "rootUri": null, "capabilities": capabilities,
                   "initializationOptions": options}),
        );
        self.notify("initialized", json!({}));
        response["result"].clone()
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "dockerfile", "version": 1, "text": text}}),
        );
    }

    fn change_full(&mut self, uri: &str, version: i32, text: &str) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version},
                   "contentChanges": [{"text": text}]}),
        );
    }

    fn shutdown_and_exit(&mut self) -> i32 {
        let response = self.request("shutdown", Value::Null);
        assert_eq!(response["result"], Value::Null, "{response}");
        self.notify("exit", Value::Null);
        self.exit_code()
    }

    fn exit_code(&mut self) -> i32 {
        drop(self.stdin.take());
        while let Ok(value) = self.incoming.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(value);
        }
        let status = self.child.wait().unwrap();
        self.assert_no_secret();
        status.code().expect("an exit code")
    }

    fn assert_no_secret(&self) {
        for value in &self.seen {
            let text = value.to_string();
            assert!(!text.contains(SECRET), "a secret in {text}");
            assert!(
                !text.contains("wJalrXUtnFEMI"),
                "part of a secret in {text}"
            );
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn uri_of(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn codes(diagnostics: &Value) -> Vec<String> {
    let mut codes: Vec<String> = diagnostics["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|diagnostic| diagnostic["code"].as_str().map(str::to_string))
        .collect();
    codes.sort();
    codes
}

fn diagnostic<'a>(diagnostics: &'a Value, code: &str) -> &'a Value {
    diagnostics["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|diagnostic| diagnostic["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {diagnostics}"))
}

/// A byte offset for an LSP position (UTF-16 columns).
fn offset(text: &str, position: &Value) -> usize {
    let line = position["line"].as_u64().unwrap() as usize;
    let character = position["character"].as_u64().unwrap() as usize;
    let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
    let mut units = 0;
    for (byte, ch) in text[start..].char_indices() {
        if units >= character || ch == '\n' {
            return start + byte;
        }
        units += ch.len_utf16();
    }
    text.len()
}

/// `text` with the edits for `uri` of a workspace edit applied.
fn apply(text: &str, edit: &Value, uri: &str) -> String {
    let mut edits: Vec<Value> = Vec::new();
    if let Some(changes) = edit["documentChanges"].as_array() {
        for change in changes {
            if change["textDocument"]["uri"] == uri {
                edits.extend(change["edits"].as_array().unwrap().iter().cloned());
            }
        }
    } else if let Some(changes) = edit["changes"][uri].as_array() {
        edits.extend(changes.iter().cloned());
    }
    let mut spans: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|edit| {
            (
                offset(text, &edit["range"]["start"]),
                offset(text, &edit["range"]["end"]),
                edit["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    spans.sort_by_key(|(start, end, _)| (*start, *end));
    let mut output = text.to_string();
    for (start, end, new_text) in spans.into_iter().rev() {
        output.replace_range(start..end, &new_text);
    }
    output
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(directory.path().join(name), text).unwrap();
    }
    directory
}

#[test]
fn utf16_by_default_and_utf8_when_offered() {
    let text = "FROM alpine\nENV NOTE=\"é😀\" AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzq9Q3RkT7x\n";
    let line = text.lines().nth(1).unwrap();
    let value_at = line.find("wJal").unwrap();
    let utf16 = line[..value_at].encode_utf16().count() as u64;
    assert_ne!(utf16, value_at as u64);
    for (encodings, expected, column) in [
        (json!(["utf-16"]), "utf-16", utf16),
        (json!(["utf-8", "utf-16"]), "utf-8", value_at as u64),
        (Value::Null, "utf-16", utf16),
    ] {
        let directory = project(&[]);
        let uri = uri_of(&directory.path().join("Dockerfile"));
        let mut client = Client::start(directory.path());
        let result = client.initialize(
            json!({"general": {"positionEncodings": encodings}}),
            Value::Null,
        );
        assert_eq!(result["capabilities"]["positionEncoding"], expected);
        assert_eq!(result["serverInfo"]["name"], "dockerleak");
        client.open(&uri, text);
        let diagnostics = client.diagnostics(&uri);
        let found = diagnostic(&diagnostics, "DLK004");
        assert_eq!(
            found["range"]["start"],
            json!({"line": 1, "character": column}),
            "{expected}"
        );
        assert_eq!(client.shutdown_and_exit(), 0);
    }
}

#[test]
fn diagnostics_follow_open_and_changes() {
    let directory = project(&[]);
    let uri = uri_of(&directory.path().join("Dockerfile"));
    let mut client = Client::start(directory.path());
    client.initialize(json!({}), Value::Null);
    client.open(&uri, LEAKY);
    let diagnostics = client.diagnostics(&uri);
    assert_eq!(
        codes(&diagnostics),
        ["DLK003", "DLK004", "DLK005", "DLK006"]
    );
    assert_eq!(diagnostics["version"], 1);
    let dlk003 = diagnostic(&diagnostics, "DLK003");
    assert_eq!(dlk003["severity"], 1);
    assert_eq!(dlk003["source"], "dockerleak");
    assert_eq!(
        dlk003["range"],
        json!({"start": {"line": 1, "character": 4}, "end": {"line": 1, "character": 13}})
    );
    assert!(dlk003["codeDescription"]["href"]
        .as_str()
        .unwrap()
        .ends_with("/docs/rules/DLK003.md"));
    let related = dlk003["relatedInformation"].as_array().unwrap();
    assert_eq!(related[0]["location"]["range"]["start"]["line"], 2);
    assert_eq!(related[0]["location"]["uri"], uri);

    // Incremental changes, sent together: remove the ENV line, then the
    // secret use; only the last text is what the diagnostics describe.
    let batch = [
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": 2},
            "contentChanges": [{"range": {"start": {"line": 3, "character": 0}, "end": {"line": 4, "character": 0}}, "text": ""}]}}),
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": 3},
            "contentChanges": [{"range": {"start": {"line": 2, "character": 0}, "end": {"line": 3, "character": 0}}, "text": "RUN make\n"}]}}),
    ];
    let mut bytes = Vec::new();
    for message in &batch {
        bytes.extend(Client::frame(message));
    }
    client.raw(&bytes);
    let last = loop {
        let diagnostics = client.diagnostics(&uri);
        if diagnostics["version"] == 3 {
            break diagnostics;
        }
        assert_eq!(diagnostics["version"], 2);
    };
    assert_eq!(codes(&last), ["DLK003"]);
    assert!(diagnostic(&last, "DLK003")
        .get("relatedInformation")
        .is_none());

    // A syntax error is a diagnostic too (without a code).
    client.change_full(&uri, 4, "FROM alpine\nRUN <<EOF\necho\n");
    let broken = client.diagnostics(&uri);
    assert!(
        !broken["diagnostics"].as_array().unwrap().is_empty(),
        "{broken}"
    );
    assert!(broken["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d.get("code").is_none()
            && d["severity"] == 1
            && d["message"]
                .as_str()
                .unwrap()
                .contains("unterminated heredoc")
            && d["range"]["start"]["line"] == 1));

    // Closing clears them.
    client.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(client.diagnostics(&uri)["diagnostics"], json!([]));
    assert_eq!(client.shutdown_and_exit(), 0);
}

#[test]
fn documents_are_recognised_by_name_and_language() {
    let directory = project(&[]);
    let mut client = Client::start(directory.path());
    client.initialize(json!({}), Value::Null);
    for name in ["Containerfile", "app.dockerfile", "Dockerfile.prod"] {
        let uri = uri_of(&directory.path().join(name));
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "plaintext", "version": 1, "text": LEAKY}}),
        );
        assert_eq!(
            codes(&client.diagnostics(&uri)),
            ["DLK003", "DLK004", "DLK005", "DLK006"],
            "{name}"
        );
    }
    // A build definition: Compose passing a secret as a build arg.
    let compose = uri_of(&directory.path().join("compose.yml"));
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": compose, "languageId": "yaml", "version": 1, "text":
            "services:\n  web:\n    build:\n      context: .\n      args:\n        STRIPE_SECRET_KEY: ${STRIPE_SECRET_KEY}\n"}}),
    );
    assert_eq!(codes(&client.diagnostics(&compose)), ["DLK011"]);
    // Neither by name nor by language: nothing.
    let notes = uri_of(&directory.path().join("notes.txt"));
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": notes, "languageId": "plaintext", "version": 1, "text": LEAKY}}),
    );
    assert_eq!(client.diagnostics(&notes)["diagnostics"], json!([]));
    assert_eq!(client.shutdown_and_exit(), 0);
}

#[test]
fn pull_clients_get_diagnostics_on_request() {
    let directory = project(&[]);
    let uri = uri_of(&directory.path().join("Dockerfile"));
    let mut client = Client::start(directory.path());
    client.initialize(
        json!({"textDocument": {"diagnostic": {"dynamicRegistration": false}},
               "workspace": {"diagnostic": {"refreshSupport": true}}}),
        Value::Null,
    );
    client.open(&uri, LEAKY);
    let report = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri}}),
    );
    let result = &report["result"];
    assert_eq!(result["kind"], "full");
    let items = json!({"diagnostics": result["items"]});
    assert_eq!(codes(&items), ["DLK003", "DLK004", "DLK005", "DLK006"]);
    let result_id = result["resultId"].as_str().unwrap().to_string();
    let again = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri}, "previousResultId": result_id}),
    );
    assert_eq!(again["result"]["kind"], "unchanged");
    client.change_full(&uri, 2, "FROM alpine\n");
    let changed = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri}, "previousResultId": result_id}),
    );
    assert_eq!(changed["result"]["kind"], "full");
    assert_eq!(changed["result"]["items"], json!([]));
    // A document that is not open: an empty report.
    let unopened = client.request(
        "textDocument/diagnostic",
        json!({"textDocument": {"uri": uri_of(&directory.path().join("Other.dockerfile"))}}),
    );
    assert_eq!(unopened["result"]["items"], json!([]));
    // A watched file changed: the server asks the client to pull again.
    std::fs::write(
        directory.path().join(".dockerleak.toml"),
        "ignore = [\"DLK003\"]\n",
    )
    .unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": uri_of(&directory.path().join(".dockerleak.toml")), "type": 1}]}),
    );
    let refresh = client.take(|value| value["method"] == "workspace/diagnostic/refresh");
    client.send(json!({"jsonrpc": "2.0", "id": refresh["id"], "result": null}));
    // No diagnostics were pushed for the document.
    assert!(!client
        .seen
        .iter()
        .any(|value| value["method"] == "textDocument/publishDiagnostics"
            && value["params"]["uri"] == uri));
    assert_eq!(client.shutdown_and_exit(), 0);
}

fn code_actions(client: &mut Client, uri: &str, line: u32) -> Vec<Value> {
    let response = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri},
               "range": {"start": {"line": line, "character": 0}, "end": {"line": line + 1, "character": 0}},
               "context": {"diagnostics": []}}),
    );
    response["result"].as_array().unwrap().clone()
}

#[test]
fn a_quickfix_mounts_the_secret() {
    let directory = project(&[]);
    let uri = uri_of(&directory.path().join("Dockerfile"));
    let mut client = Client::start(directory.path());
    client.initialize(
        json!({"workspace": {"workspaceEdit": {"documentChanges": true, "resourceOperations": ["create"]}}}),
        Value::Null,
    );
    client.open(&uri, LEAKY);
    client.diagnostics(&uri);
    let actions = code_actions(&mut client, &uri, 1);
    let titles: Vec<&str> = actions
        .iter()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    let fix = actions
        .iter()
        .find(|action| action["title"].as_str().unwrap().starts_with("DLK003: "))
        .unwrap_or_else(|| panic!("no DLK003 fix in {titles:?}"));
    assert_eq!(fix["kind"], "quickfix");
    let title = fix["title"].as_str().unwrap();
    assert!(
        title.contains("(unsafe; build with: docker build --secret id=NPM_TOKEN"),
        "{title}"
    );
    assert_eq!(fix["command"]["command"], "dockerleak.showBuildNote");
    assert_eq!(fix["diagnostics"][0]["code"], "DLK003");
    assert!(
        titles.contains(&"Ignore DLK003 for this instruction"),
        "{titles:?}"
    );
    let fixed = apply(LEAKY, &fix["edit"], &uri);
    assert!(
        fixed.contains("RUN --mount=type=secret,id=NPM_TOKEN,env=NPM_TOKEN"),
        "{fixed}"
    );
    assert!(!fixed.contains("ARG NPM_TOKEN"), "{fixed}");
    // The note, shown through the command.
    let arguments = fix["command"]["arguments"].clone();
    let executed = client.request(
        "workspace/executeCommand",
        json!({"command": "dockerleak.showBuildNote", "arguments": arguments}),
    );
    assert_eq!(executed["result"], Value::Null);
    let shown = client.notification("window/showMessage");
    assert!(shown["params"]["message"]
        .as_str()
        .unwrap()
        .contains("--secret id=NPM_TOKEN"));
    client.change_full(&uri, 2, &fixed);
    let after = client.diagnostics(&uri);
    assert!(!codes(&after).contains(&"DLK003".to_string()), "{after}");

    // The ignore directive silences the finding.
    let env_line = fixed
        .lines()
        .position(|line| line.starts_with("ENV "))
        .unwrap() as u32;
    let ignore = code_actions(&mut client, &uri, env_line)
        .into_iter()
        .find(|action| action["title"] == "Ignore DLK004 for this instruction")
        .expect("an ignore action for DLK004");
    let ignored = apply(&fixed, &ignore["edit"], &uri);
    assert!(
        ignored.contains("# dockerleak ignore=DLK004\nENV AWS_SECRET_ACCESS_KEY"),
        "{ignored}"
    );
    client.change_full(&uri, 3, &ignored);
    let remaining = client.diagnostics(&uri);
    assert!(!codes(&remaining).contains(&"DLK004".to_string()));
    // A second code on the same instruction joins the directive's list.
    assert!(
        codes(&remaining).contains(&"DLK005".to_string()),
        "{remaining}"
    );
    {
        let ignore = code_actions(&mut client, &uri, env_line + 1)
            .into_iter()
            .find(|action| action["title"] == "Ignore DLK005 for this instruction")
            .expect("an ignore action for DLK005");
        let both = apply(&ignored, &ignore["edit"], &uri);
        assert!(
            both.contains("\n# dockerleak ignore=DLK004,DLK005\nENV AWS_SECRET_ACCESS_KEY"),
            "{both}"
        );
    }
    // An executeCommand whose argument holds the secret: masked.
    let leaked = client.request(
        "workspace/executeCommand",
        json!({"command": "dockerleak.showBuildNote", "arguments": [format!("echo {SECRET}")]}),
    );
    assert_eq!(leaked["result"], Value::Null);
    client.notification("window/showMessage");
    assert_eq!(client.shutdown_and_exit(), 0);
}

#[test]
fn dockerignore_fix_creates_the_file_and_fix_all_applies_safe_fixes() {
    // The build context is the saved file's directory.
    let text = "FROM node:20\nARG NPM_TOKEN\nRUN npm ci\nCOPY . .\n";
    let directory = project(&[
        (".npmrc", "//registry.npmjs.org/:_authToken=x\n"),
        ("Dockerfile", text),
    ]);
    let uri = uri_of(&directory.path().join("Dockerfile"));
    let ignore_uri = uri_of(&directory.path().join(".dockerignore"));
    let mut client = Client::start(directory.path());
    client.initialize(
        json!({"workspace": {"workspaceEdit": {"documentChanges": true, "resourceOperations": ["create"]}}}),
        Value::Null,
    );
    client.open(&uri, text);
    let first = client.diagnostics(&uri);
    assert!(codes(&first).contains(&"DLK010".to_string()), "{first}");
    let actions = code_actions(&mut client, &uri, 3);
    let fix = actions
        .iter()
        .find(|action| action["title"].as_str().unwrap().starts_with("DLK010: "))
        .expect("a DLK010 fix");
    assert_eq!(fix["isPreferred"], true);
    let changes = fix["edit"]["documentChanges"].as_array().unwrap();
    assert_eq!(changes[0]["kind"], "create");
    assert_eq!(changes[0]["uri"], ignore_uri);
    assert_eq!(apply("", &fix["edit"], &ignore_uri), ".npmrc\n");
    let fix_all = actions
        .iter()
        .find(|action| action["kind"] == "source.fixAll.dockerleak")
        .expect("a fix-all action");
    assert_eq!(fix_all["title"], "Fix all safe dockerleak problems");
    // Safe fixes only: DLK003's unsafe fix is not applied.
    assert_eq!(apply(text, &fix_all["edit"], &uri), text);
    assert_eq!(apply("", &fix_all["edit"], &ignore_uri), ".npmrc\n");
    // Asked for source actions only: no quickfix.
    let only = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri},
               "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
               "context": {"diagnostics": [], "only": ["source.fixAll"]}}),
    );
    let only = only["result"].as_array().unwrap();
    assert_eq!(only.len(), 1);
    assert_eq!(only[0]["kind"], "source.fixAll.dockerleak");

    // Once the file exists, the edit changes it in place.
    std::fs::write(directory.path().join(".dockerignore"), "node_modules\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": ignore_uri, "type": 1}]}),
    );
    client.diagnostics(&uri);
    let fix = code_actions(&mut client, &uri, 3)
        .into_iter()
        .find(|action| action["title"].as_str().unwrap().starts_with("DLK010: "))
        .expect("a DLK010 fix");
    let changes = fix["edit"]["documentChanges"].as_array().unwrap();
    assert!(changes.iter().all(|change| change.get("kind").is_none()));
    assert_eq!(
        apply("node_modules\n", &fix["edit"], &ignore_uri),
        "node_modules\n.npmrc\n"
    );
    assert_eq!(client.shutdown_and_exit(), 0);
}

#[test]
fn hover_shows_the_rule_documentation() {
    let directory = project(&[]);
    let uri = uri_of(&directory.path().join("Dockerfile"));
    let mut client = Client::start(directory.path());
    client.initialize(json!({}), Value::Null);
    client.open(&uri, LEAKY);
    client.diagnostics(&uri);
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 1, "character": 6}}),
    );
    let contents = &hover["result"]["contents"];
    assert_eq!(contents["kind"], "markdown");
    let explain = std::process::Command::new(env!("CARGO_BIN_EXE_dockerleak"))
        .args(["explain", "DLK003"])
        .output()
        .unwrap();
    assert_eq!(
        contents["value"].as_str().unwrap(),
        String::from_utf8(explain.stdout).unwrap()
    );
    assert_eq!(
        hover["result"]["range"]["start"],
        json!({"line": 1, "character": 4})
    );
    let nothing = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 1}}),
    );
    assert_eq!(nothing["result"], Value::Null);
    assert_eq!(client.shutdown_and_exit(), 0);
}

#[test]
fn configuration_changes_re_lint_open_documents() {
    let directory = project(&[]);
    std::fs::create_dir(directory.path().join("app")).unwrap();
    let uri = uri_of(&directory.path().join("app/Dockerfile"));
    let config_path = directory.path().join(".dockerleak.toml");
    let config_uri = uri_of(&config_path);
    let mut client = Client::start(directory.path());
    client.initialize(
        json!({"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}}),
        json!({"ignore": ["DLK006"]}),
    );
    // The watcher is registered by the server.
    let registration = client.take(|value| value["method"] == "client/registerCapability");
    let watchers = &registration["params"]["registrations"][0];
    assert_eq!(watchers["method"], "workspace/didChangeWatchedFiles");
    assert!(watchers["registerOptions"]["watchers"]
        .to_string()
        .contains(".dockerleak.toml"));
    client.send(json!({"jsonrpc": "2.0", "id": registration["id"], "result": null}));

    client.open(&uri, LEAKY);
    assert_eq!(
        codes(&client.diagnostics(&uri)),
        ["DLK003", "DLK004", "DLK005"]
    );

    // The nearest .dockerleak.toml above the document.
    std::fs::write(&config_path, "ignore = [\"DLK003\"]\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": config_uri, "type": 1}]}),
    );
    // The settings' `ignore` replaces the file's, as --ignore does.
    assert_eq!(
        codes(&client.diagnostics(&uri)),
        ["DLK003", "DLK004", "DLK005"]
    );
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"dockerleak": {}}}),
    );
    assert_eq!(
        codes(&client.diagnostics(&uri)),
        ["DLK004", "DLK005", "DLK006"]
    );
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"dockerleak": {"minSeverity": "error", "select": ["DLK004", "secret-in-arg"]}}}),
    );
    assert_eq!(codes(&client.diagnostics(&uri)), ["DLK004"]);
    client.notify("workspace/didChangeConfiguration", json!({"settings": {}}));
    client.diagnostics(&uri);

    // An invalid file: a diagnostic on it, a message, the defaults.
    std::fs::write(&config_path, "select = [\"DLK999\"]\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": config_uri, "type": 2}]}),
    );
    let on_config = client.diagnostics(&config_uri);
    let problem = &on_config["diagnostics"][0];
    assert_eq!(problem["severity"], 1);
    assert_eq!(problem["range"]["start"]["line"], 0);
    assert!(
        problem["message"].as_str().unwrap().contains("DLK999"),
        "{problem}"
    );
    let shown = client.notification("window/showMessage");
    assert!(shown["params"]["message"]
        .as_str()
        .unwrap()
        .contains(".dockerleak.toml"));
    assert_eq!(
        codes(&client.diagnostics(&uri)),
        ["DLK003", "DLK004", "DLK005", "DLK006"]
    );

    // Fixed again: the configuration file's diagnostic is cleared.
    std::fs::write(&config_path, "ignore = [\"DLK004\"]\n").unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": config_uri, "type": 2}]}),
    );
    assert_eq!(
        codes(&client.diagnostics(&uri)),
        ["DLK003", "DLK005", "DLK006"]
    );
    assert_eq!(client.diagnostics(&config_uri)["diagnostics"], json!([]));
    // Unknown codes in the settings: a warning, and the rest applies.
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"ignore": ["DLK3", "DLK006"]}}),
    );
    let warning = client.notification("window/showMessage");
    assert!(warning["params"]["message"]
        .as_str()
        .unwrap()
        .contains("DLK3"));
    assert_eq!(
        codes(&client.diagnostics(&uri)),
        ["DLK003", "DLK004", "DLK005"]
    );
    // A token pasted into the settings or the configuration file is
    // masked in the messages that quote them.
    let token = "ghp_Zq8xR2vN5mK7pL3wT9yB4cF6hJ1dS0aE8uQ2";
    client.notify(
        "workspace/didChangeConfiguration",
        json!({"settings": {"ignore": [token]}}),
    );
    let warning = client.notification("window/showMessage");
    let message = warning["params"]["message"].as_str().unwrap();
    assert!(message.contains("ghp_…"), "{message}");
    assert!(!message.contains(token), "{message}");
    client.diagnostics(&uri);
    std::fs::write(&config_path, format!("ignore = \"{token}\"\n")).unwrap();
    client.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": config_uri, "type": 2}]}),
    );
    let on_config = client.diagnostics(&config_uri);
    assert!(!on_config.to_string().contains(token), "{on_config}");
    let shown = client.notification("window/showMessage");
    assert!(!shown.to_string().contains(token), "{shown}");
    assert!(shown.to_string().contains("ghp_…"), "{shown}");
    assert_eq!(client.shutdown_and_exit(), 0);
}

#[test]
fn malformed_messages_are_answered_and_serving_goes_on() {
    let directory = project(&[]);
    let mut client = Client::start(directory.path());
    // Before initialize: requests are refused, the server stays.
    let early = client.request("textDocument/hover", json!({}));
    assert_eq!(early["error"]["code"], -32002);
    client.initialize(json!({}), Value::Null);
    // A body that is not JSON.
    client.raw(b"Content-Length: 9\r\n\r\n{\"oops\": ");
    let parse_error = client.take(|value| value["error"]["code"] == -32700);
    assert_eq!(parse_error["id"], Value::Null);
    // JSON, not JSON-RPC.
    client.raw(&Client::frame(&json!({"id": 7, "hello": "world"})));
    let invalid = client.take(|value| value["error"]["code"] == -32600);
    assert_eq!(invalid["id"], 7);
    // Headers without Content-Length, then a good message.
    client.raw(b"Content-Type: application/json\r\n\r\n");
    // Unknown methods: MethodNotFound for a request, nothing for a notification.
    client.notify("$/somethingElse", json!({}));
    client.notify("textDocument/didOpen", json!({"not": "valid params"}));
    let unknown = client.request("dockerleak/unknown", json!({}));
    assert_eq!(unknown["error"]["code"], -32601);
    // Invalid parameters.
    let bad_params = client.request("textDocument/hover", json!({"textDocument": 3}));
    assert_eq!(bad_params["error"]["code"], -32602);
    // Requests about a document that is not open.
    let uri = uri_of(&directory.path().join("Dockerfile"));
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
    );
    assert_eq!(hover["result"], Value::Null);
    let actions = client.request(
        "textDocument/codeAction",
        json!({"textDocument": {"uri": uri},
               "range": {"start": {"line": 0, "character": 0}, "end": {"line": 0, "character": 0}},
               "context": {"diagnostics": []}}),
    );
    assert_eq!(actions["result"], json!([]));
    // A change for a document that is not open, a position past the end.
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": "x"}]}),
    );
    client.open(&uri, "FROM alpine\n");
    client.diagnostics(&uri);
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [
            {"range": {"start": {"line": 40, "character": 9}, "end": {"line": 2, "character": 0}}, "text": "ENV A=1\n"}]}),
    );
    assert_eq!(client.diagnostics(&uri)["version"], 2);
    // Cancelling: a request cancelled while queued gets RequestCancelled,
    // else its answer; exactly one response either way.
    let id = 1000;
    let mut bytes = Client::frame(
        &json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
        "params": {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}}),
    );
    bytes.extend(Client::frame(
        &json!({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": id}}),
    ));
    client.raw(&bytes);
    let answer = client.response(id);
    assert!(
        answer["error"]["code"] == -32800
            || (answer.get("error").is_none() && answer["result"].is_null()),
        "{answer}"
    );
    client.notify("$/cancelRequest", json!({"id": 999}));
    let after = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": 0, "character": 0}}),
    );
    assert!(after.get("result").is_some());
    assert_eq!(client.shutdown_and_exit(), 0);
    assert_eq!(
        client
            .seen
            .iter()
            .filter(|value| value["id"] == json!(id) && value.get("method").is_none())
            .count(),
        1
    );
}

#[test]
fn huge_and_binary_documents_get_one_diagnostic() {
    let directory = project(&[]);
    let mut client = Client::start(directory.path());
    client.initialize(json!({}), Value::Null);
    let huge = uri_of(&directory.path().join("Dockerfile"));
    let mut text = String::from("FROM alpine\n");
    while text.len() as u64 <= dockerleak::input::DEFAULT_MAX_FILE_SIZE {
        text.push_str(
            "RUN echo aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
        );
    }
    client.open(&huge, &text);
    let diagnostics = client.diagnostics(&huge);
    let items = diagnostics["diagnostics"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert!(
        items[0]["message"]
            .as_str()
            .unwrap()
            .contains("over the 1 MiB limit"),
        "{}",
        items[0]
    );
    let binary = uri_of(&directory.path().join("bin.dockerfile"));
    client.open(&binary, "FROM a\u{0}\u{1}\u{2}\nRUN x\n");
    let diagnostics = client.diagnostics(&binary);
    assert_eq!(
        diagnostics["diagnostics"][0]["message"],
        "binary file, not a Dockerfile"
    );
    assert_eq!(client.shutdown_and_exit(), 0);
}

#[test]
fn shutdown_and_exit_in_every_order() {
    let directory = project(&[]);
    // shutdown, then exit: 0.
    let mut client = Client::start(directory.path());
    client.initialize(json!({}), Value::Null);
    assert_eq!(client.shutdown_and_exit(), 0);
    // exit without shutdown: 1.
    let mut client = Client::start(directory.path());
    client.initialize(json!({}), Value::Null);
    client.notify("exit", Value::Null);
    assert_eq!(client.exit_code(), 1);
    // exit before initialize: 1.
    let mut client = Client::start(directory.path());
    client.notify("exit", Value::Null);
    assert_eq!(client.exit_code(), 1);
    // Requests after shutdown are refused; a second shutdown too; exit: 0.
    let mut client = Client::start(directory.path());
    client.initialize(json!({}), Value::Null);
    assert_eq!(
        client.request("shutdown", Value::Null)["result"],
        Value::Null
    );
    let refused = client.request("textDocument/hover", json!({}));
    assert_eq!(refused["error"]["code"], -32600);
    assert_eq!(
        client.request("shutdown", Value::Null)["error"]["code"],
        -32600
    );
    client.notify("exit", Value::Null);
    assert_eq!(client.exit_code(), 0);
    // The client goes away without exit: 1 (0 after shutdown).
    let mut client = Client::start(directory.path());
    client.initialize(json!({}), Value::Null);
    assert_eq!(client.exit_code(), 1);
    let mut client = Client::start(directory.path());
    client.initialize(json!({}), Value::Null);
    client.request("shutdown", Value::Null);
    assert_eq!(client.exit_code(), 0);
    // initialize twice: the second is refused.
    let mut client = Client::start(directory.path());
    client.initialize(json!({}), Value::Null);
    let again = client.request("initialize", json!({"capabilities": {}}));
    assert!(again.get("error").is_some(), "{again}");
    assert_eq!(client.shutdown_and_exit(), 0);
}
