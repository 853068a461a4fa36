//! Arbitrary bytes → lossy UTF-8 → `dockerleak::config::parse`, the
//! `.dockerleak.toml` loader. Loading may fail, with an error that must
//! render (message and miette diagnostic with its label on the file's
//! line), never panic or hang. A configuration that loads is shown
//! (`config --show`) and used to lint a small Dockerfile.
#![no_main]

use dockerleak::config::{self, ConfigSource, LoadedConfig};
use dockerleak_fuzz::{invariants, text_of};
use libfuzzer_sys::fuzz_target;
use miette::{GraphicalReportHandler, GraphicalTheme};
use std::path::{Path, PathBuf};

const DOCKERFILE: &str = "FROM alpine\nARG MY_TOKEN=acme_0123456789abcdef0123456789abcdef\n\
COPY .my-vault /root/\nENV API_KEY=hunter2hunter2\nRUN echo $MY_TOKEN\n";

const DISPLAY: &str = ".dockerleak.toml";

fuzz_target!(|data: &[u8]| {
    dockerleak_fuzz::contained(|| {
        let text = text_of(data);
        match config::parse(&text, DISPLAY, Path::new("/fuzz")) {
            Err(error) => {
                let message = error.to_string();
                assert!(
                    message.starts_with(DISPLAY),
                    "error does not name the file: {message}"
                );
                if let Some(diagnostic) = error.diagnostic() {
                    let mut rendered = String::new();
                    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
                        .render_report(&mut rendered, diagnostic)
                        .expect("rendering into a String cannot fail");
                }
            }
            Ok(config) => {
                let report = dockerleak::lint_source("Dockerfile", DOCKERFILE, &config);
                if let Err(problem) = invariants::check_report(DOCKERFILE, &report) {
                    panic!("report invariant broken: {problem}");
                }
                let loaded = LoadedConfig {
                    config,
                    source: ConfigSource::File {
                        path: PathBuf::from(DISPLAY),
                        display: DISPLAY.to_string(),
                        found_from: Some("the current directory".to_string()),
                    },
                    text: Some(text.into_owned()),
                };
                let _ = config::show(&loaded);
            }
        }
    });
});
