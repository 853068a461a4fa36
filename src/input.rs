//! Reading a file or stdin into text, with size limits and binary/UTF-8 checks.
