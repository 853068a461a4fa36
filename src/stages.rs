//! `dockerleak stages`: the leak model made visible. For one Dockerfile:
//! each stage and whether it is part of the built image (the target and
//! the stages it is built `FROM`) or only read by the build, the `FROM`,
//! `COPY --from` and `RUN --mount=from=` edges with the paths they carry,
//! and for each finding its stage, severity and the copies that carry its
//! secret into the final image. Output as text, JSON or a mermaid graph
//! (which GitHub renders). No finding's message is printed, only codes,
//! lines and the model's own labels: nothing here can quote a secret.

use crate::analysis::flow::EdgeKind;
use crate::analysis::{Analysis, Base};
use crate::config::Config;
use crate::lint::lint_source;
use crate::syntax;
use serde::Serialize;
use std::fmt::Write as _;

/// One stage of the graph.
#[derive(Debug, Serialize)]
pub struct StageNode {
    pub index: usize,
    /// `AS name`, or the index.
    pub name: String,
    /// The base image, or `stage NAME`.
    pub base: String,
    /// The target stage or one it is built `FROM`: its layers, config and
    /// history are the built image's.
    pub in_final_image: bool,
    /// The build reads it at all (built on, copied or mounted from).
    pub reached: bool,
}

/// An edge between two stages.
#[derive(Debug, Serialize)]
pub struct StageEdge {
    /// `from` (built FROM), `copy` (COPY --from) or `mount` (RUN --mount=from=).
    pub kind: &'static str,
    pub from: usize,
    pub to: usize,
    /// The instruction's line.
    pub line: usize,
    /// For a copy: its sources, as expanded.
    pub paths: Vec<String>,
    /// For a copy: where they land.
    pub destination: Option<String>,
}

/// A finding, located in the graph.
#[derive(Debug, Serialize)]
pub struct StageFinding {
    pub code: &'static str,
    pub severity: String,
    pub line: usize,
    pub stage: Option<String>,
    /// The way the secret travels: `line N: copied into …`.
    pub travels: Vec<String>,
}

/// The stage graph of one file.
#[derive(Debug, Serialize)]
pub struct StageGraph {
    pub path: String,
    /// The stage that is built.
    pub target: Option<String>,
    pub stages: Vec<StageNode>,
    pub edges: Vec<StageEdge>,
    pub findings: Vec<StageFinding>,
    pub errors: Vec<String>,
}

impl StageGraph {
    /// Analyses `text` (named `path`) with `config` (its `target`).
    pub fn of(path: &str, text: &str, config: &Config) -> StageGraph {
        let dockerfile = syntax::parse(text);
        let analysis = Analysis::new(&dockerfile, config.target.as_deref());
        let report = lint_source(path, text, config);
        let instructions = &analysis.dockerfile(&dockerfile).instructions;
        let line_of = |instruction: usize| instructions[instruction].start_line;
        let flow = analysis.flow();
        // The stages standing for images built from a base elsewhere
        // (ONBUILD) are not part of the graph.
        let stages = analysis
            .written_stages()
            .map(|stage| StageNode {
                index: stage.index,
                name: stage.label(),
                base: match &stage.base {
                    Base::Image(image) => image.clone(),
                    Base::Stage(parent) => format!("stage {}", analysis.stages[*parent].label()),
                },
                in_final_image: flow.in_lineage(stage.index),
                reached: stage.reaches_final,
            })
            .collect();
        let mut edges: Vec<StageEdge> = analysis
            .written_stages()
            .filter_map(|stage| match stage.base {
                Base::Stage(parent) => Some(StageEdge {
                    kind: "from",
                    from: parent,
                    to: stage.index,
                    line: line_of(stage.from_instruction),
                    paths: Vec::new(),
                    destination: None,
                }),
                Base::Image(_) => None,
            })
            .collect();
        let written = analysis.written_stages().count();
        edges.extend(
            flow.edges
                .iter()
                .filter(|edge| edge.into_stage < written)
                .map(|edge| StageEdge {
                    kind: match edge.kind {
                        EdgeKind::Copy => "copy",
                        EdgeKind::Mount => "mount",
                    },
                    from: edge.from_stage,
                    to: edge.into_stage,
                    line: line_of(edge.instruction),
                    paths: edge
                        .sources
                        .iter()
                        .map(|source| source.path.clone())
                        .collect(),
                    destination: (edge.kind == EdgeKind::Copy).then(|| edge.destination.clone()),
                }),
        );
        edges.sort_by_key(|edge| (edge.line, edge.from));
        let findings = report
            .findings
            .iter()
            .map(|finding| StageFinding {
                code: finding.code,
                severity: finding.severity.to_string(),
                line: report.position(finding.span.start).line,
                stage: finding.stage.as_ref().map(crate::finding::Text::to_string),
                travels: finding
                    .labels
                    .iter()
                    .filter(|label| label.message.starts_with("copied into"))
                    .map(|label| {
                        format!(
                            "line {}: {}",
                            report.position(label.span.start).line,
                            label.message
                        )
                    })
                    .collect(),
            })
            .collect();
        StageGraph {
            path: path.to_string(),
            target: analysis
                .final_stage
                .map(|stage| analysis.stages[stage].label()),
            stages,
            edges,
            findings,
            errors: report
                .errors
                .iter()
                .map(|error| error.message.clone())
                .collect(),
        }
    }

    /// One line per stage, edge and finding.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: builds stage {}",
            self.path,
            self.target.as_deref().unwrap_or("(none)")
        );
        for stage in &self.stages {
            let role = if stage.in_final_image {
                "in the final image"
            } else if stage.reached {
                "read by the build, not in the final image"
            } else {
                "not used by the build"
            };
            let _ = writeln!(out, "stage {} (FROM {}): {role}", stage.name, stage.base);
        }
        for edge in &self.edges {
            let (from, to) = (&self.stages[edge.from].name, &self.stages[edge.to].name);
            match edge.kind {
                "from" => {
                    let _ = writeln!(out, "line {}: {to} is built FROM {from}", edge.line);
                }
                "copy" => {
                    let _ = writeln!(
                        out,
                        "line {}: {to} copies {} from {from} to {}",
                        edge.line,
                        edge.paths.join(" "),
                        edge.destination.as_deref().unwrap_or("")
                    );
                }
                _ => {
                    let _ = writeln!(
                        out,
                        "line {}: {to} mounts {from} (reads, copies nothing)",
                        edge.line
                    );
                }
            }
        }
        for finding in &self.findings {
            let _ = writeln!(
                out,
                "line {}: {} {} in stage {}",
                finding.line,
                finding.severity,
                finding.code,
                finding.stage.as_deref().unwrap_or("-")
            );
            for travel in &finding.travels {
                let _ = writeln!(out, "  {travel}");
            }
        }
        for error in &self.errors {
            let _ = writeln!(out, "error: {error}");
        }
        out
    }

    /// A mermaid flowchart: stages as nodes (the final image's drawn
    /// thick), edges labelled with the paths they carry, findings as
    /// notes on their stage.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for stage in &self.stages {
            let findings: Vec<String> = self
                .findings
                .iter()
                .filter(|finding| finding.stage.as_deref() == Some(stage.name.as_str()))
                .map(|finding| {
                    format!(
                        "{} {} line {}",
                        finding.severity, finding.code, finding.line
                    )
                })
                .collect();
            let mut label = format!("{}<br/>FROM {}", stage.name, stage.base);
            if stage.in_final_image {
                label.push_str("<br/>in the final image");
            }
            for finding in &findings {
                label.push_str("<br/>");
                label.push_str(finding);
            }
            let _ = writeln!(out, "  s{}[\"{}\"]", stage.index, mermaid_text(&label));
        }
        for edge in &self.edges {
            let label = match edge.kind {
                "from" => "FROM".to_string(),
                "copy" => format!(
                    "COPY {} to {}",
                    edge.paths.join(" "),
                    edge.destination.as_deref().unwrap_or("")
                ),
                _ => "mount (no copy)".to_string(),
            };
            let arrow = if edge.kind == "mount" { "-.->" } else { "-->" };
            let _ = writeln!(
                out,
                "  s{} {arrow}|\"{}\"| s{}",
                edge.from,
                mermaid_text(&label),
                edge.to
            );
        }
        let finals: Vec<String> = self
            .stages
            .iter()
            .filter(|stage| stage.in_final_image)
            .map(|stage| format!("s{}", stage.index))
            .collect();
        if !finals.is_empty() {
            let _ = writeln!(out, "  classDef final stroke-width:4px");
            let _ = writeln!(out, "  class {} final", finals.join(","));
        }
        out
    }
}

/// Text safe inside a quoted mermaid label.
fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
        .replace('|', "#124;")
        .replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "FROM node:22 AS build\nWORKDIR /app\nCOPY .npmrc ./\nRUN npm ci\nFROM build AS test\nRUN npm test\nFROM nginx\nCOPY --from=build /app /srv\n";

    #[test]
    fn the_graph_has_stages_edges_and_travels() {
        let graph = StageGraph::of("Dockerfile", TEXT, &Config::default());
        assert_eq!(graph.target.as_deref(), Some("2"));
        let roles: Vec<(bool, bool)> = graph
            .stages
            .iter()
            .map(|stage| (stage.in_final_image, stage.reached))
            .collect();
        assert_eq!(roles, [(false, true), (false, false), (true, true)]);
        let kinds: Vec<&str> = graph.edges.iter().map(|edge| edge.kind).collect();
        assert_eq!(kinds, ["from", "copy"]);
        assert_eq!(graph.edges[1].paths, ["/app"]);
        let finding = &graph.findings[0];
        assert_eq!(
            (finding.code, finding.severity.as_str()),
            ("DLK001", "error")
        );
        assert_eq!(
            finding.travels,
            ["line 8: copied into the final image here"]
        );
        let text = graph.text();
        assert!(
            text.contains("line 8: 2 copies /app from build to /srv"),
            "{text}"
        );
        let mermaid = graph.mermaid();
        assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
        assert!(
            mermaid.contains("s0 -->|\"COPY /app to /srv\"| s2"),
            "{mermaid}"
        );
        assert!(mermaid.contains("class s2 final"), "{mermaid}");
    }
}
