//! The Dockerfile parser: ours, lossless, and faithful to BuildKit's
//! grammar (see `docs/parser.md` for the deliberate differences).
//!
//! `parse(text)` never fails; it returns the syntax tree with byte spans for
//! every piece and the errors it met. Semantics (stages, scopes, layers)
//! belong to `crate::analysis`.

pub mod ast;
mod logical;
mod mount;
mod parser;
mod words;

pub use ast::*;
pub use parser::parse;
