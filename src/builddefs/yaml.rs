//! A small YAML tree with byte spans, built from `saphyr-parser` events
//! (the maintained successor of `yaml-rust`; its parser reports a span for
//! every scalar, in characters, which are turned into bytes here). The
//! readers of workflows, GitLab CI, compose and bake JSON walk it.
//!
//! Anchors and aliases are resolved (an alias is a copy of what the anchor
//! names), merge keys (`<<: *defaults`) are applied, and hostile input is
//! bounded: nesting depth and the number of nodes (alias expansion
//! included) have a budget, past which the file is an error.

use crate::source::Span;
use saphyr_parser::{Event, Parser, ScalarStyle};
use std::collections::HashMap;

const MAX_DEPTH: usize = 128;
const MAX_NODES: usize = 200_000;

/// A node of the tree.
#[derive(Clone, Debug)]
pub enum Node {
    Scalar(Scalar),
    Sequence(Vec<Node>, Span),
    Mapping(Vec<(Scalar, Node)>, Span),
}

/// A scalar: its value (quotes, escapes and block indentation removed),
/// where it is written, and the source offset of each byte of the value
/// where that is known.
#[derive(Clone, Debug)]
pub struct Scalar {
    pub value: String,
    /// From the first to the last source byte of the scalar (quotes and a
    /// block scalar's indicator included).
    pub span: Span,
    /// Quoted or block: a plain `null`, `~` or empty value is not a string.
    pub quoted: bool,
}

impl Node {
    pub fn span(&self) -> Span {
        match self {
            Node::Scalar(scalar) => scalar.span,
            Node::Sequence(_, span) | Node::Mapping(_, span) => *span,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Mapping(entries, _) => entries
                .iter()
                .find(|(name, _)| name.value == key)
                .map(|(_, value)| value),
            _ => None,
        }
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match self {
            Node::Scalar(scalar) => Some(scalar),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        self.as_scalar().map(|scalar| scalar.value.as_str())
    }

    pub fn entries(&self) -> &[(Scalar, Node)] {
        match self {
            Node::Mapping(entries, _) => entries,
            _ => &[],
        }
    }

    pub fn items(&self) -> &[Node] {
        match self {
            Node::Sequence(items, _) => items,
            _ => &[],
        }
    }
}

impl Scalar {
    /// The source offset of each byte of the value: the value is found
    /// line by line in the source text of the scalar (so a block scalar's
    /// lines, a plain scalar and a quoted one without escapes map
    /// exactly); a line that is not found maps to the scalar's start.
    pub fn source_offsets(&self, source: &str) -> Vec<usize> {
        let mut offsets = Vec::with_capacity(self.value.len());
        let region_end = self.span.end.min(source.len());
        let mut cursor = self.span.start.min(region_end);
        for line in self.value.split_inclusive('\n') {
            let content = line.strip_suffix('\n').unwrap_or(line);
            let found = source
                .get(cursor..region_end)
                .and_then(|region| region.find(content))
                .map(|at| cursor + at);
            match found {
                Some(start) if !content.is_empty() => {
                    offsets.extend(start..start + content.len());
                    cursor = start + content.len();
                }
                _ => {
                    // Folded or multi-line plain scalars join source lines
                    // with spaces: find each space-separated piece.
                    for (index, piece) in content.split(' ').enumerate() {
                        if index > 0 {
                            offsets.push(cursor);
                        }
                        let found = source
                            .get(cursor..region_end)
                            .and_then(|region| region.find(piece))
                            .map(|at| cursor + at);
                        match found {
                            Some(start) if !piece.is_empty() => {
                                offsets.extend(start..start + piece.len());
                                cursor = start + piece.len();
                            }
                            _ => offsets.extend(std::iter::repeat_n(cursor, piece.len())),
                        }
                    }
                }
            }
            if line.ends_with('\n') {
                let newline = source
                    .get(cursor..region_end)
                    .and_then(|region| region.find('\n'))
                    .map(|at| cursor + at)
                    .unwrap_or(cursor);
                offsets.push(newline);
                cursor = (newline + 1).min(region_end.max(newline));
            }
        }
        offsets
    }

    /// The source span of `range` of the value.
    pub fn span_of(&self, source: &str, range: std::ops::Range<usize>) -> Span {
        let offsets = self.source_offsets(source);
        span_from_offsets(&offsets, range, self.span)
    }
}

/// The source span that bytes `range` of a text with per-byte `offsets`
/// come from (`fallback` when the range is out of the table).
pub fn span_from_offsets(offsets: &[usize], range: std::ops::Range<usize>, fallback: Span) -> Span {
    match (
        offsets.get(range.start),
        range.end.checked_sub(1).and_then(|last| offsets.get(last)),
    ) {
        (Some(start), Some(last)) if last >= start => Span::new(*start, last + 1),
        (Some(start), _) => Span::empty(*start),
        _ => fallback,
    }
}

/// Why a YAML file could not be read.
#[derive(Clone, Debug)]
pub struct YamlError {
    pub message: String,
    pub span: Option<Span>,
}

/// Parses every document of `text`.
pub fn parse(text: &str) -> Result<Vec<Node>, YamlError> {
    let to_byte = ByteIndex::new(text);
    let mut parser = Parser::new_from_str(text);
    let mut builder = TreeBuilder {
        anchors: HashMap::new(),
        nodes: 0,
        to_byte,
    };
    let mut documents = Vec::new();
    while let Some(event) = parser.next_event() {
        let (event, _) = event.map_err(|error| YamlError {
            message: format!("invalid YAML: {}", error.info()),
            span: Some(Span::empty(builder.to_byte.byte(error.marker().index()))),
        })?;
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart(_) => {
                let node = builder.node(&mut parser, 0)?;
                if let Some(node) = node {
                    documents.push(node);
                }
            }
            _ => {}
        }
    }
    Ok(documents)
}

struct ByteIndex {
    /// Byte offset of each character; empty for ASCII text.
    offsets: Vec<usize>,
    length: usize,
}

impl ByteIndex {
    fn new(text: &str) -> ByteIndex {
        let offsets = if text.is_ascii() {
            Vec::new()
        } else {
            text.char_indices().map(|(offset, _)| offset).collect()
        };
        ByteIndex {
            offsets,
            length: text.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        if self.offsets.is_empty() {
            return char_index.min(self.length);
        }
        self.offsets.get(char_index).copied().unwrap_or(self.length)
    }
}

struct TreeBuilder {
    anchors: HashMap<usize, Node>,
    nodes: usize,
    to_byte: ByteIndex,
}

type EventParser<'a> = Parser<'a, saphyr_parser::StrInput<'a>>;

impl TreeBuilder {
    fn error(&self, message: &str, span: Span) -> YamlError {
        YamlError {
            message: message.to_string(),
            span: Some(span),
        }
    }

    fn span(&self, span: saphyr_parser::Span) -> Span {
        let start = self.to_byte.byte(span.start.index());
        let end = self.to_byte.byte(span.end.index()).max(start);
        Span::new(start, end)
    }

    fn count(&mut self, span: Span, amount: usize) -> Result<(), YamlError> {
        self.nodes += amount;
        if self.nodes > MAX_NODES {
            return Err(self.error(
                "YAML too large: more than 200000 nodes (aliases included)",
                span,
            ));
        }
        Ok(())
    }

    /// Reads the next node (`None` at the end of a document, sequence or
    /// mapping).
    fn node(
        &mut self,
        parser: &mut EventParser<'_>,
        depth: usize,
    ) -> Result<Option<Node>, YamlError> {
        let Some(event) = parser.next_event() else {
            return Ok(None);
        };
        let (event, raw_span) = event.map_err(|error| YamlError {
            message: format!("invalid YAML: {}", error.info()),
            span: Some(Span::empty(self.to_byte.byte(error.marker().index()))),
        })?;
        let span = self.span(raw_span);
        if depth > MAX_DEPTH {
            return Err(self.error("YAML nested too deeply (more than 128 levels)", span));
        }
        match event {
            Event::Scalar(value, style, anchor, _) => {
                self.count(span, 1)?;
                let node = Node::Scalar(Scalar {
                    value: value.into_owned(),
                    span,
                    quoted: style != ScalarStyle::Plain,
                });
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                Ok(Some(node))
            }
            Event::Alias(anchor) => {
                let node = self
                    .anchors
                    .get(&anchor)
                    .cloned()
                    .unwrap_or(Node::Scalar(Scalar {
                        value: String::new(),
                        span,
                        quoted: false,
                    }));
                self.count(span, size_of(&node))?;
                Ok(Some(node))
            }
            Event::SequenceStart(anchor, _) => {
                self.count(span, 1)?;
                let mut items = Vec::new();
                let mut end = span.end;
                while let Some(item) = self.node(parser, depth + 1)? {
                    end = end.max(item.span().end);
                    items.push(item);
                }
                let node = Node::Sequence(items, Span::new(span.start, end));
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                Ok(Some(node))
            }
            Event::MappingStart(anchor, _) => {
                self.count(span, 1)?;
                let mut entries: Vec<(Scalar, Node)> = Vec::new();
                let mut merged: Vec<(Scalar, Node)> = Vec::new();
                let mut end = span.end;
                while let Some(key) = self.node(parser, depth + 1)? {
                    let Some(value) = self.node(parser, depth + 1)? else {
                        break;
                    };
                    end = end.max(value.span().end);
                    let key = match key {
                        Node::Scalar(scalar) => scalar,
                        other => Scalar {
                            value: String::new(),
                            span: other.span(),
                            quoted: false,
                        },
                    };
                    if key.value == "<<" && !key.quoted {
                        match value {
                            Node::Mapping(more, _) => merged.extend(more),
                            Node::Sequence(items, _) => {
                                for item in items {
                                    if let Node::Mapping(more, _) = item {
                                        merged.extend(more);
                                    }
                                }
                            }
                            Node::Scalar(_) => {}
                        }
                        continue;
                    }
                    entries.push((key, value));
                }
                // Keys written in the mapping win over merged ones.
                for (key, value) in merged {
                    if !entries
                        .iter()
                        .any(|(existing, _)| existing.value == key.value)
                    {
                        entries.push((key, value));
                    }
                }
                let node = Node::Mapping(entries, Span::new(span.start, end));
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                Ok(Some(node))
            }
            Event::SequenceEnd | Event::MappingEnd | Event::DocumentEnd | Event::StreamEnd => {
                Ok(None)
            }
            Event::Nothing | Event::StreamStart | Event::DocumentStart(_) => {
                self.node(parser, depth)
            }
        }
    }
}

fn size_of(node: &Node) -> usize {
    match node {
        Node::Scalar(_) => 1,
        Node::Sequence(items, _) => 1 + items.iter().map(size_of).sum::<usize>(),
        Node::Mapping(entries, _) => {
            1 + entries
                .iter()
                .map(|(_, value)| 1 + size_of(value))
                .sum::<usize>()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_carry_byte_spans_and_block_lines_map_back() {
        let text = "é: 1\njobs:\n  run: |\n    docker build \\\n      --build-arg A=b .\n";
        let documents = parse(text).expect("valid YAML");
        let run = documents[0]
            .get("jobs")
            .and_then(|jobs| jobs.get("run"))
            .and_then(Node::as_scalar)
            .expect("run is a scalar");
        assert_eq!(run.value, "docker build \\\n  --build-arg A=b .\n");
        let at = run.value.find("A=b").expect("in the value");
        let span = run.span_of(text, at..at + 3);
        assert_eq!(span.slice(text), "A=b");
    }

    #[test]
    fn merge_keys_and_aliases_are_applied() {
        let text = ".base: &base\n  script: [a]\njob:\n  <<: *base\n  stage: x\n";
        let documents = parse(text).expect("valid YAML");
        let job = documents[0].get("job").expect("job");
        assert!(job.get("script").is_some());
        assert_eq!(job.get("stage").and_then(Node::as_str), Some("x"));
    }

    #[test]
    fn alias_bombs_hit_the_budget() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let mut previous = 'a';
        for name in 'b'..='j' {
            text.push_str(&format!(
                "{name}: &{name} [*{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}, *{previous}]\n"
            ));
            previous = name;
        }
        assert!(parse(&text).is_err());
    }

    #[test]
    fn invalid_yaml_is_an_error_with_a_place() {
        let error = parse("a: [1, 2\nb: }").expect_err("invalid");
        assert!(error.message.starts_with("invalid YAML"));
        assert!(error.span.is_some());
    }
}
