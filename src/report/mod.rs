//! Reporters: turn sorted file reports into text (pretty, json, ...).
