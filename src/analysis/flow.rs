//! Path flow between stages: which stages the built image is made of, and
//! which files of the other stages `COPY --from` carries into it.
//!
//! The image that is built (the last stage, or `--target`) consists of its
//! own layers and those of every stage it is built `FROM`, transitively:
//! its *lineage*. Any other stage is not part of it; only the paths that a
//! `COPY --from=<stage> SRC… DEST` copies out of it are. A path of stage S
//! is visible in S and in every stage built `FROM` S (unless a later `RUN`
//! removes it), and a `COPY --from` of one of those stages carries it when
//! a source is the path itself, a directory above it, a glob that matches
//! it or a directory above it (as BuildKit matches: `*` stops at `/`), or
//! `/`. The carried path lands under DEST (BuildKit copies a directory's
//! contents, not the directory), and the question is asked again in the
//! stage that received it, so chains of stages are followed.
//! `RUN --mount=type=bind,from=<stage>` reads a stage without copying it:
//! it is an edge of the stage graph that carries nothing.
//!
//! Rules ask [`Flow::reach`]; they never walk stages themselves.

use super::layers::{ancestors_or_self, is_same_or_under, normalize, Layer};
use super::shell::base_name;
use super::{Analysis, Base};
use crate::source::Span;
use crate::syntax::{Arguments, Dockerfile, Keyword, MountType, Word};
use globset::{GlobBuilder, GlobMatcher};

/// How a stage is read by another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeKind {
    /// `COPY --from=<stage>`: the matching paths are copied.
    Copy,
    /// `RUN --mount=from=<stage>`: read while the RUN runs, nothing copied.
    Mount,
}

/// One source of a `COPY --from`.
#[derive(Clone, Debug)]
pub struct CopySource {
    /// As expanded, absolute in the source stage (`/` for `.`).
    pub path: String,
    /// The source word.
    pub span: Span,
    matcher: Option<GlobMatcher>,
}

/// A `COPY --from=<stage>` or `RUN --mount=from=<stage>` between two
/// stages of the file.
#[derive(Clone, Debug)]
pub struct Edge {
    pub kind: EdgeKind,
    /// The instruction.
    pub instruction: usize,
    pub from_stage: usize,
    pub into_stage: usize,
    /// For a copy: its sources.
    pub sources: Vec<CopySource>,
    /// For a copy: the destination, absolute (resolved against WORKDIR).
    pub destination: String,
    /// The destination is a directory the sources go into (it ends with
    /// `/`, or there are several sources).
    pub into_directory: bool,
    /// `COPY --parents`: the source's path is kept under the destination.
    pub parents: bool,
}

/// Where a path (or an instruction's effect) ends up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reach {
    /// In a stage of the built image's lineage: it is in the image.
    Final,
    /// Carried into the built image by `COPY --from`: the edges (indices in
    /// [`Flow::edges`]) in order, the last one copying into the lineage.
    Copied(Vec<Hop>),
    /// Not in the built image (a stage it never uses, or a builder whose
    /// copies do not carry it).
    Elsewhere,
}

/// One step of a path's way into the built image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hop {
    /// Index in [`Flow::edges`].
    pub edge: usize,
    /// The source word that carries the path.
    pub span: Span,
    /// The path where it lands.
    pub path: String,
}

impl Reach {
    /// In the built image, one way or the other.
    pub fn is_in_final(&self) -> bool {
        !matches!(self, Reach::Elsewhere)
    }
}

/// How many (stage, path) questions one reach query may ask before it gives
/// up and answers "carried" (the severe answer): a file with thousands of
/// stages copying from each other must not make a query exponential.
const QUERY_BUDGET: usize = 4096;

/// The stage graph with its copies.
#[derive(Clone, Debug, Default)]
pub struct Flow {
    /// Per stage: part of the built image's lineage (the target stage and
    /// the stages it is built `FROM`, transitively).
    pub lineage: Vec<bool>,
    /// Per stage: the stages built `FROM` it, directly.
    pub children: Vec<Vec<usize>>,
    pub edges: Vec<Edge>,
    /// Per stage: indices of the copy edges reading from it.
    edges_from: Vec<Vec<usize>>,
}

impl Flow {
    pub fn build(dockerfile: &Dockerfile, analysis: &Analysis, layers: &[Layer]) -> Flow {
        let count = analysis.stages.len();
        let mut flow = Flow {
            lineage: vec![false; count],
            children: vec![Vec::new(); count],
            edges: Vec::new(),
            edges_from: vec![Vec::new(); count],
        };
        for stage in &analysis.stages {
            if let Base::Stage(parent) = stage.base {
                flow.children[parent].push(stage.index);
            }
        }
        let mut current = analysis.final_stage;
        while let Some(stage) = current {
            if std::mem::replace(&mut flow.lineage[stage], true) {
                break;
            }
            current = match analysis.stages[stage].base {
                Base::Stage(parent) => Some(parent),
                Base::Image(_) => None,
            };
        }
        for (index, instruction) in dockerfile.instructions.iter().enumerate() {
            let Some(into_stage) = analysis.stage_of(index).map(|stage| stage.index) else {
                continue;
            };
            // ONBUILD triggers run in the images built from this one, not here.
            if instruction.keyword == Keyword::Onbuild {
                continue;
            }
            match instruction.keyword {
                Keyword::Copy | Keyword::Add => {
                    let Some(from) = instruction
                        .flag("from")
                        .and_then(|flag| flag.value.as_ref())
                    else {
                        continue;
                    };
                    let reference = analysis.expand(&from.text, index).value;
                    let Some(from_stage) = analysis.stage_by_reference(&reference, into_stage)
                    else {
                        continue;
                    };
                    let workdir = layers
                        .get(index)
                        .map_or("/", |layer| layer.workdir.as_str());
                    if let Some(edge) = copy_edge(analysis, index, instruction, workdir) {
                        flow.edges_from[from_stage].push(flow.edges.len());
                        flow.edges.push(Edge {
                            from_stage,
                            into_stage,
                            ..edge
                        });
                    }
                }
                Keyword::Run => {
                    for flag in instruction.flags_named("mount") {
                        let Some(mount) = flag.mount.as_ref() else {
                            continue;
                        };
                        if !matches!(mount.mount_type(), MountType::Bind | MountType::Cache) {
                            continue;
                        }
                        let Some(from) = mount.value("from") else {
                            continue;
                        };
                        let reference = analysis.expand(from, index).value;
                        if let Some(from_stage) =
                            analysis.stage_by_reference(&reference, into_stage)
                        {
                            flow.edges.push(Edge {
                                kind: EdgeKind::Mount,
                                instruction: index,
                                from_stage,
                                into_stage,
                                sources: Vec::new(),
                                destination: String::new(),
                                into_directory: false,
                                parents: false,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        flow
    }

    /// Whether `stage` is part of the built image's lineage.
    pub fn in_lineage(&self, stage: usize) -> bool {
        self.lineage.get(stage).copied().unwrap_or(false)
    }

    /// Where `path` (absolute, normalised), which instruction `index` of
    /// `stage` puts into its layer, ends up.
    pub fn reach(&self, analysis: &Analysis, stage: usize, index: usize, path: &str) -> Reach {
        let mut budget = QUERY_BUDGET;
        match self.carry(analysis, stage, index, path, &mut budget) {
            Some(hops) if hops.is_empty() => Reach::Final,
            Some(mut hops) => {
                hops.reverse();
                Reach::Copied(hops)
            }
            None => Reach::Elsewhere,
        }
    }

    /// The hops (last first) that bring `path`, present in `stage` after
    /// instruction `after`, into the lineage; `Some(empty)` when `stage` is
    /// in it.
    fn carry(
        &self,
        analysis: &Analysis,
        stage: usize,
        after: usize,
        path: &str,
        budget: &mut usize,
    ) -> Option<Vec<Hop>> {
        if self.in_lineage(stage) {
            return Some(Vec::new());
        }
        if *budget == 0 {
            return Some(Vec::new());
        }
        *budget -= 1;
        // The stage itself and the stages built FROM it see the path.
        let mut pending = vec![(stage, after)];
        while let Some((seeing, from_instruction)) = pending.pop() {
            let end = analysis.stages[seeing].instructions.end;
            if removed_between(analysis, from_instruction + 1, end, path) {
                continue;
            }
            for &edge_index in &self.edges_from[seeing] {
                let edge = &self.edges[edge_index];
                let Some((span, landed)) = edge.carries(path) else {
                    continue;
                };
                if let Some(mut hops) =
                    self.carry(analysis, edge.into_stage, edge.instruction, &landed, budget)
                {
                    hops.push(Hop {
                        edge: edge_index,
                        span,
                        path: landed,
                    });
                    return Some(hops);
                }
            }
            // A stage built FROM one outside the lineage is outside it too.
            for &child in &self.children[seeing] {
                pending.push((child, analysis.stages[child].from_instruction));
            }
        }
        None
    }
}

impl Edge {
    /// Whether this copy carries `path` of its source stage: the source
    /// word that does, and where the path lands.
    pub fn carries(&self, path: &str) -> Option<(Span, String)> {
        if self.kind != EdgeKind::Copy {
            return None;
        }
        for source in &self.sources {
            let landed = match &source.matcher {
                None => {
                    if !is_same_or_under(path, &source.path) {
                        continue;
                    }
                    if path == source.path {
                        if self.into_directory {
                            join_under(&self.destination, base_name(path))
                        } else {
                            self.destination.clone()
                        }
                    } else {
                        let below = &path[source.path.trim_end_matches('/').len()..];
                        join_under(&self.destination, below)
                    }
                }
                Some(matcher) => {
                    let Some(matched) = ancestors_or_self(path)
                        .find(|candidate| candidate.len() > 1 && matcher.is_match(candidate))
                    else {
                        continue;
                    };
                    if matched == path {
                        join_under(&self.destination, base_name(path))
                    } else {
                        join_under(&self.destination, &path[matched.len()..])
                    }
                }
            };
            let landed = if self.parents {
                join_under(&self.destination, path)
            } else {
                landed
            };
            return Some((source.span, landed));
        }
        None
    }
}

/// A `COPY --from` edge (stages filled in by the caller).
fn copy_edge(
    analysis: &Analysis,
    index: usize,
    instruction: &crate::syntax::Instruction,
    workdir: &str,
) -> Option<Edge> {
    let words: Vec<&Word> = match &instruction.arguments {
        Arguments::Json(words) | Arguments::Words(words) => words.iter().collect(),
        _ => return None,
    };
    let (destination, sources) = words.split_last()?;
    let destination_text = analysis.expand_word(destination, index).value;
    let into_directory =
        destination_text.ends_with('/') || destination_text == "." || sources.len() > 1;
    let destination = if destination_text.starts_with('/') {
        normalize(&destination_text)
    } else {
        normalize(&format!(
            "{}/{destination_text}",
            workdir.trim_end_matches('/')
        ))
    };
    let sources = sources
        .iter()
        .map(|word| {
            // Sources of `COPY --from` are relative to the stage's root.
            let text = analysis.expand_word(word, index).value;
            let path = normalize(&format!("/{text}"));
            let is_glob = path.contains(['*', '?', '[']);
            let matcher = is_glob
                .then(|| GlobBuilder::new(&path).literal_separator(true).build().ok())
                .flatten()
                .map(|glob| glob.compile_matcher());
            CopySource {
                path,
                span: word.span,
                matcher,
            }
        })
        .collect();
    let parents = instruction.flag("parents").is_some_and(|flag| {
        flag.value
            .as_ref()
            .is_none_or(|value| !value.text.eq_ignore_ascii_case("false"))
    });
    Some(Edge {
        kind: EdgeKind::Copy,
        instruction: index,
        from_stage: 0,
        into_stage: 0,
        sources,
        destination,
        into_directory,
        parents,
    })
}

/// Whether an instruction in `start..end` removes `path`.
fn removed_between(analysis: &Analysis, start: usize, end: usize, path: &str) -> bool {
    (start..end).any(|index| {
        analysis
            .layer(index)
            .is_some_and(|layer| layer.removed.iter().any(|removed| removed.removes(path)))
    })
}

/// `directory` + `/` + `rest` (`rest` may start with `/`), normalised.
fn join_under(directory: &str, rest: &str) -> String {
    normalize(&format!("{}/{}", directory.trim_end_matches('/'), rest))
}

#[cfg(test)]
mod tests {
    use crate::analysis::flow::Reach;
    use crate::analysis::Analysis;
    use crate::syntax::parse;

    /// The reach of `path` added by instruction `index`.
    fn reach(text: &str, index: usize, path: &str) -> Reach {
        let dockerfile = parse(text);
        let analysis = Analysis::new(&dockerfile, None);
        analysis.path_reach(index, path)
    }

    fn copied_to(reach: &Reach) -> Vec<String> {
        match reach {
            Reach::Copied(hops) => hops.iter().map(|hop| hop.path.clone()).collect(),
            other => panic!("expected a copy, got {other:?}"),
        }
    }

    const BUILDER: &str = "FROM node AS build\nWORKDIR /app\nCOPY .npmrc ./\nRUN npm ci\n";

    #[test]
    fn a_builder_file_stays_in_the_builder_unless_copied() {
        let text = format!("{BUILDER}FROM node\nCOPY --from=build /app/dist /srv\n");
        assert_eq!(reach(&text, 2, "/app/.npmrc"), Reach::Elsewhere);
        assert_eq!(reach(&text, 5, "/srv/x"), Reach::Final);
    }

    #[test]
    fn equal_parent_root_and_glob_sources_carry_the_file() {
        for (copy, landing) in [
            ("COPY --from=build /app/.npmrc /srv/", "/srv/.npmrc"),
            ("COPY --from=build /app/.npmrc /srv/npmrc", "/srv/npmrc"),
            ("COPY --from=build /app /srv", "/srv/.npmrc"),
            ("COPY --from=build app/ /srv", "/srv/.npmrc"),
            ("COPY --from=build / /", "/app/.npmrc"),
            ("COPY --from=build /app/.np[m]rc /srv/", "/srv/.npmrc"),
            ("COPY --from=build /ap* /srv/", "/srv/.npmrc"),
            ("COPY --from=0 /app/. /srv/", "/srv/.npmrc"),
        ] {
            let text = format!("{BUILDER}FROM node\n{copy}\n");
            assert_eq!(
                copied_to(&reach(&text, 2, "/app/.npmrc")),
                [landing],
                "{copy}"
            );
        }
    }

    #[test]
    fn a_glob_does_not_cross_a_slash_and_other_paths_do_not_carry() {
        for copy in [
            "COPY --from=build /*/.npmrcx /srv/",
            "COPY --from=build /app/dist /srv/",
            "COPY --from=build /a* /srv/x",
        ] {
            let text = format!("{BUILDER}FROM node\n{copy}\n");
            let expected = if copy.contains("/a* ") {
                "carried"
            } else {
                "elsewhere"
            };
            let got = match reach(&text, 2, "/app/.npmrc") {
                Reach::Elsewhere => "elsewhere",
                _ => "carried",
            };
            assert_eq!(got, expected, "{copy}");
        }
    }

    #[test]
    fn chains_and_from_stage_are_followed() {
        let text = format!(
            "{BUILDER}FROM build AS test\nRUN npm test\nFROM alpine AS bundle\nCOPY --from=test /app /bundle\nFROM scratch\nCOPY --from=bundle /bundle/.npmrc /\n"
        );
        assert_eq!(
            copied_to(&reach(&text, 2, "/app/.npmrc")),
            ["/bundle/.npmrc", "/.npmrc"]
        );
    }

    #[test]
    fn a_file_removed_before_the_copy_is_not_carried() {
        let text = format!("{BUILDER}RUN rm /app/.npmrc\nFROM node\nCOPY --from=build /app /srv\n");
        assert_eq!(reach(&text, 2, "/app/.npmrc"), Reach::Elsewhere);
    }

    #[test]
    fn the_lineage_is_the_target_and_its_bases() {
        let text = format!("{BUILDER}FROM build AS final\nRUN true\n");
        assert_eq!(reach(&text, 2, "/app/.npmrc"), Reach::Final);
    }

    #[test]
    fn a_bind_mount_reads_without_copying() {
        let text = format!(
            "{BUILDER}FROM node\nRUN --mount=type=bind,from=build,target=/b cp /b/app/dist /srv\n"
        );
        assert_eq!(reach(&text, 2, "/app/.npmrc"), Reach::Elsewhere);
        let dockerfile = parse(&text);
        let analysis = Analysis::new(&dockerfile, None);
        assert_eq!(analysis.flow().edges.len(), 1);
    }
}
