//! JSON-RPC framing over a byte stream (`Content-Length: N\r\n\r\n` then
//! N bytes of JSON), read by our own reader rather than
//! `lsp_server::Message::read`: a client's mistake (a body that is not
//! JSON, a message that is not JSON-RPC, a header block without
//! `Content-Length`, an absurd length) becomes an [`Incoming`] problem that
//! the server answers, and reading goes on with the next message. Only the
//! end of the stream or an I/O error ends it.

use lsp_server::Message;
use std::io::{self, BufRead, Read, Write};

/// The largest message body read into memory: a document many times the
/// CLI's size limit (1 MiB), JSON-escaped, fits, so it gets the "over the
/// limit" diagnostic. A longer body is skipped.
pub const MAX_BODY: usize = 64 * 1024 * 1024;
/// The longest header line kept; a longer one is skipped to its end.
const MAX_HEADER_LINE: usize = 8 * 1024;

/// What one read from the stream gave.
#[derive(Debug)]
pub enum Incoming {
    Message(Message),
    /// The body is not JSON (JSON-RPC's ParseError).
    NotJson,
    /// JSON, but not a JSON-RPC message (InvalidRequest); `id` when the
    /// object had one.
    NotJsonRpc {
        id: Option<serde_json::Value>,
    },
    /// A header block without a usable `Content-Length`, or a body over
    /// [`MAX_BODY`]: skipped.
    BadFraming(String),
}

/// Reads the next message; `Ok(None)` at the end of the stream.
pub fn read(reader: &mut impl BufRead) -> io::Result<Option<Incoming>> {
    let mut length: Option<usize> = None;
    let mut bad_header: Option<String> = None;
    let mut saw_any = false;
    loop {
        let Some(line) = read_header_line(reader)? else {
            // The end of the stream (mid-header: nothing more will come).
            return Ok(None);
        };
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if !saw_any {
                // Blank lines between messages.
                continue;
            }
            break;
        }
        saw_any = true;
        match line.split_once(':') {
            Some((name, value)) if name.trim().eq_ignore_ascii_case("content-length") => {
                match value.trim().parse::<usize>() {
                    Ok(value) => length = Some(value),
                    Err(_) => bad_header = Some("a Content-Length that is not a number".into()),
                }
            }
            Some(_) => {}
            None => bad_header = Some("a header line without `:`".into()),
        }
    }
    let Some(length) = length else {
        return Ok(Some(Incoming::BadFraming(
            bad_header.unwrap_or_else(|| "a message without Content-Length".into()),
        )));
    };
    if length > MAX_BODY {
        io::copy(&mut reader.by_ref().take(length as u64), &mut io::sink())?;
        return Ok(Some(Incoming::BadFraming(format!(
            "a message of {length} bytes, over the {MAX_BODY} byte limit"
        ))));
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    Ok(Some(parse_body(&body)))
}

/// One header line (with its line end), at most [`MAX_HEADER_LINE`] bytes
/// kept; `None` at the end of the stream.
fn read_header_line(reader: &mut impl BufRead) -> io::Result<Option<String>> {
    let mut line = Vec::new();
    let mut any = false;
    loop {
        let buffer = reader.fill_buf()?;
        if buffer.is_empty() {
            return Ok(any.then(|| String::from_utf8_lossy(&line).into_owned()));
        }
        any = true;
        let (used, done) = match buffer.iter().position(|byte| *byte == b'\n') {
            Some(newline) => (newline + 1, true),
            None => (buffer.len(), false),
        };
        let room = MAX_HEADER_LINE.saturating_sub(line.len());
        line.extend_from_slice(&buffer[..used.min(room)]);
        reader.consume(used);
        if done {
            return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
        }
    }
}

fn parse_body(body: &[u8]) -> Incoming {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Incoming::NotJson;
    };
    let id = value.get("id").cloned();
    // Serde's untagged match would take `{"id": 7}` for a response.
    let is_json_rpc = value.as_object().is_some_and(|object| {
        object
            .get("method")
            .is_some_and(serde_json::Value::is_string)
            || (object.contains_key("id")
                && (object.contains_key("result") || object.contains_key("error")))
    });
    match serde_json::from_value::<Message>(value) {
        Ok(message) if is_json_rpc => Incoming::Message(message),
        _ => Incoming::NotJsonRpc { id },
    }
}

/// Writes one message with its header, and flushes.
pub fn write(writer: &mut impl Write, message: &Message) -> io::Result<()> {
    let mut value = serde_json::to_value(message)?;
    if let Some(object) = value.as_object_mut() {
        object.insert("jsonrpc".into(), "2.0".into());
    }
    let body = value.to_string();
    write!(writer, "Content-Length: {}\r\n\r\n", body.len())?;
    writer.write_all(body.as_bytes())?;
    writer.flush()
}

/// Writes a JSON-RPC error response with an id that may be `null` (a
/// message whose id could not be read).
pub fn write_error(
    writer: &mut impl Write,
    id: Option<serde_json::Value>,
    code: i32,
    message: &str,
) -> io::Result<()> {
    let id = match id {
        Some(id @ (serde_json::Value::Number(_) | serde_json::Value::String(_))) => id,
        _ => serde_json::Value::Null,
    };
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message },
    })
    .to_string();
    write!(writer, "Content-Length: {}\r\n\r\n", body.len())?;
    writer.write_all(body.as_bytes())?;
    writer.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(input: &str) -> Vec<Incoming> {
        let mut reader = io::BufReader::new(input.as_bytes());
        let mut out = Vec::new();
        while let Some(incoming) = read(&mut reader).unwrap() {
            out.push(incoming);
        }
        out
    }

    #[test]
    fn a_bad_body_does_not_lose_the_next_message() {
        let good = r#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#;
        let input = format!(
            "Content-Length: 5\r\n\r\n{{oops\r\n\r\nContent-Length: 3\r\n\r\n[1]Content-Length: {}\r\n\r\n{good}",
            good.len()
        );
        let read = all(&input);
        assert!(matches!(read[0], Incoming::NotJson), "{read:?}");
        assert!(
            matches!(read[1], Incoming::NotJsonRpc { id: None }),
            "{read:?}"
        );
        assert!(
            matches!(&read[2], Incoming::Message(Message::Notification(n)) if n.method == "initialized")
        );
        assert_eq!(read.len(), 3);
    }

    #[test]
    fn headers_without_a_length_are_reported_and_skipped() {
        let read = all("X-Thing: 1\r\n\r\nContent-Length: 2\r\n\r\n{}");
        assert!(matches!(read[0], Incoming::BadFraming(_)));
        assert!(matches!(read[1], Incoming::NotJsonRpc { .. }));
    }
}
