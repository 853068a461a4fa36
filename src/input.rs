//! Reading one input (a file, a FIFO or stdin) into text the linter can use.
//!
//! Decisions, documented in `docs/usage.md`:
//! - a file over the size limit (`--max-file-size`, default 1 MiB) is an
//!   error; a regular file's size is checked from its metadata before any
//!   byte is read, and streams (stdin, FIFOs) are read up to the limit + 1
//!   byte, never further;
//! - a NUL byte in the first 8 KiB, or a first 8 KiB that is mostly control
//!   characters and invalid UTF-8, means a binary file: an error, not linted;
//! - UTF-16 (a UTF-16 byte order mark) is an error that says to save as UTF-8;
//! - invalid UTF-8 is decoded lossily (U+FFFD) and linted, and the caller
//!   reports where the first invalid byte was (an error: exit code 2);
//! - a UTF-8 byte order mark is kept: the parser skips it.
//!
//! Every other file the tool reads (ignore files, the configuration, a
//! baseline) goes through [`read_regular_file`]: it is opened without
//! blocking (a FIFO swapped in after a check cannot hang the run), must be
//! a regular file by the metadata of the opened file, and is read up to
//! its cap only.
//!
//! Finding files is [`crate::discover`]'s job; linting the text is
//! [`crate::lint`]'s.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// The default of `--max-file-size`: 1 MiB. The largest of the 3,662 real
/// Dockerfiles in the test corpus is 25 KB and its largest CI file 109 KB,
/// so this is 40 times the largest real input and bounds what a generated
/// or hostile file costs (about 72 MiB and 1 s at worst, measured in
/// `docs/performance.md`). Semgrep skips files over 1 MB by default too.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1024 * 1024;

/// [`DEFAULT_MAX_FILE_SIZE`] as the command line writes it (clap's default).
pub const DEFAULT_MAX_FILE_SIZE_ARGUMENT: &str = "1MiB";

/// The cap for the small files the tool reads besides Dockerfiles: ignore
/// files (`.dockerignore`, `.gitignore`, `.ignore`, git's exclude file) and
/// the configuration.
pub const MAX_SIDE_FILE_SIZE: u64 = 10 * 1024 * 1024;

/// The cap for a baseline (a few hundred bytes per accepted finding).
pub const MAX_BASELINE_SIZE: u64 = 64 * 1024 * 1024;

/// How much of the start of a file the binary check looks at.
const BINARY_SAMPLE_SIZE: usize = 8 * 1024;

/// Text read from an input, ready for the linter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceText {
    pub text: String,
    /// When the bytes were not valid UTF-8: the byte offset of the first
    /// invalid sequence. The text then holds U+FFFD in place of each
    /// invalid sequence; bytes before the offset are unchanged, so the
    /// offset is also where the first replacement character starts in
    /// `text`.
    pub invalid_utf8_at: Option<usize>,
}

impl SourceText {
    /// The message to report for lossily decoded text, if any.
    pub fn invalid_utf8_message(&self) -> Option<String> {
        self.invalid_utf8_at.map(|offset| {
            format!("not valid UTF-8 at byte {offset}; linted after replacing invalid bytes")
        })
    }
}

/// An input that could not be turned into text, with the path it concerns.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {kind}")]
pub struct InputError {
    /// The path as the user gave it (or the `--stdin-filename`).
    pub path: String,
    pub kind: InputErrorKind,
}

/// What went wrong while reading an input.
#[derive(Debug, thiserror::Error)]
pub enum InputErrorKind {
    #[error("No such file or directory")]
    NotFound,
    #[error("permission denied")]
    PermissionDenied,
    #[error(
        "file is {}, over the {} limit (--max-file-size)",
        format_size_precise(*.size),
        format_size(*.limit)
    )]
    TooLarge { size: u64, limit: u64 },
    /// A stream (stdin, a FIFO) that went on past the limit: its size is unknown.
    #[error("input is over the {} limit (--max-file-size)", format_size(*.limit))]
    StreamTooLarge { limit: u64 },
    #[error("binary file, not a Dockerfile")]
    Binary,
    #[error("not a regular file (a FIFO, socket or device): not read")]
    NotRegularFile,
    #[error("UTF-16 text, not a Dockerfile dockerleak can read: save it as UTF-8")]
    Utf16,
    #[error("{}", describe_io_error(.0))]
    Io(io::Error),
}

impl InputErrorKind {
    /// Classifies an I/O error, giving the common ones a plain message.
    pub fn from_io(error: io::Error) -> InputErrorKind {
        match error.kind() {
            io::ErrorKind::NotFound => InputErrorKind::NotFound,
            io::ErrorKind::PermissionDenied => InputErrorKind::PermissionDenied,
            _ => InputErrorKind::Io(error),
        }
    }
}

/// An I/O error's message without the `(os error N)` suffix.
pub fn describe_io_error(error: &io::Error) -> String {
    let message = error.to_string();
    match message.find(" (os error ") {
        Some(index) => message[..index].to_string(),
        None => message,
    }
}

/// Reads the file at `path`. `display` names it in errors.
pub fn read_path(path: &Path, display: &str, max_size: u64) -> Result<SourceText, InputError> {
    let bytes = read_regular_file(path, max_size).map_err(|kind| InputError {
        path: display.to_string(),
        kind,
    })?;
    decode(bytes).map_err(|kind| InputError {
        path: display.to_string(),
        kind,
    })
}

/// Reads the regular file at `path`, at most `max_size` bytes: the one way
/// the tool reads a file it was not handed as a stream.
///
/// Opening a FIFO blocks until a writer comes and a device never ends, so
/// the file is opened with `O_NONBLOCK` (which changes nothing for a
/// regular file) and the metadata of the opened file, not of the path, must
/// say regular file: a FIFO or a link to `/dev/zero` is refused without a
/// byte read. A file over `max_size` is refused by its size; a file that
/// grows while it is read is read up to `max_size + 1` bytes, never more.
pub fn read_regular_file(path: &Path, max_size: u64) -> Result<Vec<u8>, InputErrorKind> {
    let file = open_without_blocking(path).map_err(InputErrorKind::from_io)?;
    let metadata = file.metadata().map_err(InputErrorKind::from_io)?;
    if !metadata.is_file() {
        return Err(InputErrorKind::NotRegularFile);
    }
    if metadata.len() > max_size {
        return Err(InputErrorKind::TooLarge {
            size: metadata.len(),
            limit: max_size,
        });
    }
    // Sized up front: one read for the content and one for the end, where
    // an empty buffer grew from 32 bytes in seven reads.
    let mut bytes = Vec::with_capacity(metadata.len() as usize + 1);
    file.take(max_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(InputErrorKind::from_io)?;
    if bytes.len() as u64 > max_size {
        return Err(InputErrorKind::StreamTooLarge { limit: max_size });
    }
    Ok(bytes)
}

/// [`read_regular_file`] for a text file (invalid UTF-8 decoded lossily).
pub fn read_regular_text(path: &Path, max_size: u64) -> Result<String, InputErrorKind> {
    read_regular_file(path, max_size).map(|bytes| match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
    })
}

#[cfg(unix)]
fn open_without_blocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> io::Result<File> {
    // No FIFOs to block on; devices are refused by the metadata check.
    if !std::fs::metadata(path)?.is_file() {
        return Err(io::Error::other("not a regular file"));
    }
    File::open(path)
}

/// Reads standard input. `display` names it in errors.
pub fn read_stdin(display: &str, max_size: u64) -> Result<SourceText, InputError> {
    read_from(io::stdin().lock(), max_size).map_err(|kind| InputError {
        path: display.to_string(),
        kind,
    })
}

/// Reads at most `max_size + 1` bytes from `reader` and decodes them.
pub fn read_from(reader: impl Read, max_size: u64) -> Result<SourceText, InputErrorKind> {
    read_with_capacity(reader, max_size, 0)
}

fn read_with_capacity(
    reader: impl Read,
    max_size: u64,
    capacity: usize,
) -> Result<SourceText, InputErrorKind> {
    let mut bytes = Vec::with_capacity(capacity);
    reader
        .take(max_size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(InputErrorKind::from_io)?;
    if bytes.len() as u64 > max_size {
        return Err(InputErrorKind::StreamTooLarge { limit: max_size });
    }
    decode(bytes)
}

/// Turns bytes into text: rejects binary and UTF-16 data, decodes invalid
/// UTF-8 lossily (and says where).
pub fn decode(bytes: Vec<u8>) -> Result<SourceText, InputErrorKind> {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(InputErrorKind::Utf16);
    }
    if looks_binary(&bytes[..bytes.len().min(BINARY_SAMPLE_SIZE)]) {
        return Err(InputErrorKind::Binary);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceText {
            text,
            invalid_utf8_at: None,
        }),
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
            Ok(SourceText {
                text,
                invalid_utf8_at: Some(offset),
            })
        }
    }
}

/// The bytes [`looks_binary`] counts as control characters: below 0x20
/// but for whitespace and ESC, and DEL.
const CONTROL: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        if !matches!(byte, 0x09 | 0x0A | 0x0D | 0x0B | 0x0C | 0x1B) {
            table[byte] = 1;
        }
        byte += 1;
    }
    table[0x7F] = 1;
    table
};

/// A NUL byte, or more than 30% of the sample being control characters
/// (other than whitespace and ESC) or bytes of invalid UTF-8 sequences.
/// Text in a legacy 8-bit encoding has a few invalid bytes, not a third.
fn looks_binary(sample: &[u8]) -> bool {
    if sample.is_empty() {
        return false;
    }
    if sample.contains(&0) {
        return true;
    }
    // A table lookup summed as integers (the compiler vectorises it; the
    // filter and count it replaces took four instructions a byte).
    let control_characters: usize = sample
        .iter()
        .map(|&byte| usize::from(CONTROL[usize::from(byte)]))
        .sum();
    // Valid UTF-8 (nearly every file) is checked by the fast validator;
    // only a sample with an invalid byte is walked chunk by chunk.
    let invalid_bytes: usize = match std::str::from_utf8(sample) {
        Ok(_) => 0,
        Err(_) => sample
            .utf8_chunks()
            .map(|chunk| chunk.invalid().len())
            .sum(),
    };
    (control_characters + invalid_bytes) * 10 > sample.len() * 3
}

/// Parses a byte size: a number with an optional unit. `KiB`/`MiB`/`GiB`
/// and the short `K`/`M`/`G` are powers of 1024; `KB`/`MB`/`GB` are
/// powers of 1000; `B` or no unit is bytes. Units are case-insensitive.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let digits_end = trimmed
        .find(|character: char| !character.is_ascii_digit())
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(digits_end);
    if number.is_empty() {
        return Err(format!(
            "invalid size {text:?}: expected a number of bytes, optionally followed by a unit (e.g. 10485760, 20MiB, 64M)"
        ));
    }
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => {
            return Err(format!(
                "invalid size {text:?}: unknown unit {other:?} (use B, KiB, MiB, GiB, K, M, G, KB, MB or GB)"
            ))
        }
    };
    number
        .parse::<u64>()
        .ok()
        .and_then(|value| value.checked_mul(multiplier))
        .ok_or_else(|| format!("invalid size {text:?}: too large"))
}

/// A size for people: `10 MiB`, `1.5 KiB`, `200 bytes` (one decimal only
/// when the size is not a whole number of units).
pub fn format_size(bytes: u64) -> String {
    format_size_with(bytes, false)
}

/// A size with one decimal always (`20.0 MiB`), for measured sizes.
pub fn format_size_precise(bytes: u64) -> String {
    format_size_with(bytes, true)
}

fn format_size_with(bytes: u64, always_decimal: bool) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (unit_size, unit_name) in UNITS {
        if bytes >= unit_size {
            if !always_decimal && bytes.is_multiple_of(unit_size) {
                return format!("{} {unit_name}", bytes / unit_size);
            }
            return format!("{:.1} {unit_name}", bytes as f64 / unit_size as f64);
        }
    }
    if bytes == 1 {
        "1 byte".to_string()
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_and_decimal_units() {
        assert_eq!(parse_size("10485760"), Ok(10_485_760));
        assert_eq!(parse_size("20MiB"), Ok(20 << 20));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("64 mb"), Ok(64_000_000));
        assert_eq!(parse_size("1k"), Ok(1024));
        assert_eq!(parse_size("0"), Ok(0));
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("99999999999999999999G").is_err());
        assert!(parse_size("-1").is_err());
    }

    #[test]
    fn sizes_format_for_people() {
        assert_eq!(format_size(10 << 20), "10 MiB");
        assert_eq!(
            parse_size(DEFAULT_MAX_FILE_SIZE_ARGUMENT),
            Ok(DEFAULT_MAX_FILE_SIZE)
        );
        assert_eq!(format_size(DEFAULT_MAX_FILE_SIZE), "1 MiB");
        assert_eq!(format_size_precise(20 << 20), "20.0 MiB");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(12), "12 bytes");
        assert_eq!(
            InputErrorKind::TooLarge {
                size: 20_971_520,
                limit: 10_485_760
            }
            .to_string(),
            "file is 20.0 MiB, over the 10 MiB limit (--max-file-size)"
        );
    }

    #[test]
    fn nul_bytes_and_control_characters_mean_binary() {
        assert!(matches!(
            decode(b"FROM a\0b".to_vec()),
            Err(InputErrorKind::Binary)
        ));
        assert!(matches!(
            decode(vec![0x01, 0x02, 0x03, b'a', b'b']),
            Err(InputErrorKind::Binary)
        ));
        assert!(matches!(
            decode(vec![0xFF, 0xFE, b'F', 0]),
            Err(InputErrorKind::Utf16)
        ));
        assert!(decode(b"FROM a\r\n\tRUN b\x0c\n".to_vec()).is_ok());
        assert!(decode(Vec::new()).is_ok());
    }

    #[test]
    fn the_control_table_is_the_control_characters() {
        for byte in 0..=255u8 {
            let control = (byte < 0x20
                && !matches!(byte, b'\t' | b'\n' | b'\r' | 0x0B | 0x0C | 0x1B))
                || byte == 0x7F;
            assert_eq!(CONTROL[usize::from(byte)] == 1, control, "{byte:#04x}");
        }
        // 30% control characters is text, a bit more is binary.
        let mut sample = vec![b'a'; 70];
        sample.extend([0x01; 30]);
        assert!(!looks_binary(&sample));
        sample.push(0x01);
        assert!(looks_binary(&sample));
    }

    #[test]
    fn invalid_utf8_is_decoded_lossily_and_located() {
        let source = decode(b"FROM a\nRUN caf\xe9 x\n".to_vec())
            .expect("text with one bad byte is not binary");
        assert_eq!(source.invalid_utf8_at, Some(14));
        assert_eq!(source.text, "FROM a\nRUN caf\u{FFFD} x\n");
        assert_eq!(
            source.invalid_utf8_message().as_deref(),
            Some("not valid UTF-8 at byte 14; linted after replacing invalid bytes")
        );
    }

    #[test]
    fn streams_are_read_up_to_the_limit_only() {
        let long = std::io::repeat(b'a');
        assert!(matches!(
            read_from(long, 100),
            Err(InputErrorKind::StreamTooLarge { limit: 100 })
        ));
        assert_eq!(
            read_from(&b"FROM a\n"[..], 7)
                .map(|source| source.text)
                .ok(),
            Some("FROM a\n".to_string())
        );
    }

    #[test]
    fn side_files_must_be_regular_and_under_their_cap() {
        let directory = tempfile::tempdir().expect("tempdir");
        let path = directory.path().join("config.toml");
        std::fs::write(&path, "0123456789").expect("write");
        assert_eq!(
            read_regular_text(&path, 10).ok().as_deref(),
            Some("0123456789")
        );
        assert!(matches!(
            read_regular_file(&path, 9),
            Err(InputErrorKind::TooLarge { size: 10, limit: 9 })
        ));
        assert!(matches!(
            read_regular_file(Path::new("/dev/zero"), 9),
            Err(InputErrorKind::NotRegularFile)
        ));
        assert!(matches!(
            read_regular_file(&directory.path().join("missing"), 9),
            Err(InputErrorKind::NotFound)
        ));
    }

    #[test]
    fn io_errors_lose_the_os_error_suffix() {
        let error = io::Error::from_raw_os_error(40);
        assert!(!describe_io_error(&error).contains("os error"));
    }
}
