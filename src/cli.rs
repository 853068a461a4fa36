//! Command-line interface (clap): subcommands check, parse, rules, explain.
