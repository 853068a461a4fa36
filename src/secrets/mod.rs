//! Secret knowledge as data: credential file patterns, secret-looking names
//! and token formats, loaded from the TOML files in `rules/`.
