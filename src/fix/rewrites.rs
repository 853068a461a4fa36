//! The rewrites, one function per rule (called from each rule's
//! [`crate::rules::Rule::fix`]). Each reads what the analysis knows and
//! builds a [`Fix`] out of the edits of [`super::edits`]; none re-parses
//! text.

use super::edits::{
    add_mount, owner_options, remove_declaration, remove_instruction, syntax_for_secret_env,
    user_at,
};
use super::{Applicability, Edit, Fix};
use crate::analysis::expand::references_in_shell;
use crate::analysis::{Binding, BindingKind};
use crate::finding::Finding;
use crate::rules::RuleContext;
use crate::source::Span;
use crate::syntax::{Arguments, Instruction, Keyword};
use std::collections::BTreeMap;

/// The binding whose name `finding` points at (DLK003) or, failing that,
/// whose "declared here" label it has (DLK006).
fn binding_of<'a>(context: &RuleContext<'a>, finding: &Finding) -> Option<&'a Binding> {
    let bindings = &context.analysis.bindings;
    bindings
        .iter()
        .find(|binding| binding.key_span == finding.span)
        .or_else(|| {
            finding.labels.iter().find_map(|label| {
                bindings
                    .iter()
                    .find(|binding| binding.key_span == label.span)
            })
        })
}

/// Whether `instruction`'s own text (command line, heredocs) reads `$name`.
fn reads(instruction: &Instruction, name: &str) -> bool {
    let instruction = instruction.effective();
    let in_text = |text: &str| {
        references_in_shell(text)
            .iter()
            .any(|reference| reference.name == name)
    };
    in_text(&instruction.rest.text)
        || instruction
            .heredocs
            .iter()
            .any(|heredoc| in_text(&heredoc.content))
        || matches!(&instruction.arguments, Arguments::Json(words) if words.iter().any(|word| in_text(&word.text)))
}

/// Whether `name` appears as a whole word in `instruction`'s source.
fn mentions(text: &str, instruction: &Instruction, name: &str) -> bool {
    let source = instruction.span.slice(text);
    let word = |ch: char| ch.is_ascii_alphanumeric() || ch == '_';
    source.match_indices(name).any(|(start, _)| {
        let before = source[..start].chars().next_back();
        let after = source[start + name.len()..].chars().next();
        !before.is_some_and(word) && !after.is_some_and(word)
    })
}

/// Whether RUN `index` runs a script of the image or context (`./x.sh`,
/// `/usr/local/bin/setup`, `bash build.sh`), which may read any variable
/// of its environment.
fn runs_a_script(context: &RuleContext<'_>, index: usize) -> bool {
    let script_like = |text: &str| {
        text.contains('/')
            || [".sh", ".bash", ".py", ".pl", ".rb"]
                .iter()
                .any(|extension| text.ends_with(extension))
    };
    context
        .analysis
        .full_shell(context.dockerfile, index)
        .is_some_and(|script| {
            script.commands.iter().any(|command| {
                command.name.as_ref().is_some_and(|name| {
                    script_like(&name.text)
                        || matches!(
                            name.text.as_str(),
                            "sh" | "bash" | "python" | "python3" | "node"
                        ) && command.arguments.first().is_some_and(|argument| {
                            !argument.text.starts_with('-') && script_like(&argument.text)
                        })
                })
            })
        })
}

/// Whether a RUN already has a secret mount with `env=name`.
fn has_secret_env(instruction: &Instruction, name: &str) -> bool {
    instruction
        .effective()
        .flags_named("mount")
        .filter_map(|flag| flag.mount.as_ref())
        .any(|mount| mount.value("env") == Some(name))
}

/// The instructions after `binding` that see it (`$NAME` resolves to it).
fn users<'a>(context: &RuleContext<'a>, binding: &Binding) -> Vec<usize> {
    let instructions = &context.dockerfile.instructions;
    // A stage's ARG is seen in its stage only (ENV is inherited by the
    // stages built on it): looking further made a large file's fixes
    // quadratic.
    let end = match (binding.kind, binding.stage) {
        (BindingKind::Arg, Some(stage)) => context
            .analysis
            .stages
            .get(stage)
            .map_or(instructions.len(), |stage| stage.instructions.end),
        _ => instructions.len(),
    };
    (binding.instruction + 1..end.min(instructions.len()))
        .filter(|index| {
            context
                .analysis
                .resolve(&binding.name, *index)
                .is_some_and(|resolved| std::ptr::eq(resolved.binding, binding))
        })
        .collect()
}

/// RUNs that a DLK006 finding ties to `binding` (a tool that reads the
/// variable from the environment by itself, `gh` with `GH_TOKEN`).
fn flagged_runs(context: &RuleContext<'_>, findings: &[Finding], binding: &Binding) -> Vec<usize> {
    findings
        .iter()
        .filter(|finding| finding.code == "DLK006")
        .filter(|finding| {
            finding
                .labels
                .iter()
                .any(|label| label.span == binding.key_span)
        })
        .filter_map(|finding| instruction_at(context, finding.span.start))
        // DLK006 reports a tool that reads the variable implicitly at its
        // first RUN only; every such RUN needs the mount.
        .chain(crate::rules::implicit_reader_runs(context, binding))
        .collect()
}

fn instruction_at(context: &RuleContext<'_>, offset: usize) -> Option<usize> {
    let instructions = &context.dockerfile.instructions;
    let index = instructions
        .partition_point(|instruction| instruction.span.start <= offset)
        .checked_sub(1)?;
    (offset <= instructions[index].span.end).then_some(index)
}

/// The edit that takes `binding`'s declaration out: the whole instruction
/// when it declares nothing else.
fn remove_binding(context: &RuleContext<'_>, binding: &Binding) -> Option<Edit> {
    let instruction = &context.dockerfile.instructions[binding.instruction];
    if instruction.keyword == Keyword::Onbuild {
        return None;
    }
    let declarations = match &instruction.arguments {
        Arguments::Args(pairs) | Arguments::Pairs(pairs) => pairs,
        _ => return None,
    };
    if declarations.len() == 1 {
        return Some(remove_instruction(context.text, instruction));
    }
    let position = declarations
        .iter()
        .position(|declaration| declaration.key.span == binding.key_span)?;
    let last = position + 1 == declarations.len();
    Some(remove_declaration(
        context.text,
        declarations[position].span,
        last,
    ))
}

/// A secret mount that sets `variable` from secret `id`, with the
/// ownership the RUN's user needs when it is a file (`env=` mounts are not).
fn env_mount(id: &str, variable: &str) -> String {
    format!("type=secret,id={id},env={variable}")
}

/// Why the rewrite must be done by hand, or the edits that do it.
enum Plan {
    Edits {
        edits: Vec<Edit>,
        /// Secret ids and the variables they set, for the build note.
        secrets: BTreeMap<String, String>,
    },
    ByHand(String),
}

/// The rewrite of `ARG` `arg` (and, for DLK004, the `ENV` `env` that copies
/// it) to secret mounts: each RUN that reads the variable gets
/// `--mount=type=secret,id=ARG,env=VARIABLE`, the declarations go.
fn plan_secret_env(
    context: &RuleContext<'_>,
    findings: &[Finding],
    arg: &Binding,
    env: Option<&Binding>,
) -> Plan {
    let instructions = &context.dockerfile.instructions;
    if arg.stage.is_none() || instructions[arg.instruction].keyword == Keyword::Onbuild {
        return Plan::ByHand(format!(
            "move the declaration of `{}` into the stage that uses it first",
            arg.name
        ));
    }
    let mut mounts: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    let mut secrets = BTreeMap::new();
    let mut keep_arg = false;
    // (binding, the variable its RUNs read, whether it must go)
    let mut variables: Vec<(&Binding, bool)> = vec![(arg, env.is_none())];
    if let Some(env) = env {
        variables.push((env, true));
    }
    for (binding, must_go) in &variables {
        let flagged = flagged_runs(context, findings, binding);
        let mut seen = users(context, binding);
        seen.extend(flagged.iter().copied());
        seen.sort_unstable();
        seen.dedup();
        for index in seen {
            let instruction = &instructions[index];
            let effective = instruction.effective();
            if env.is_some_and(|env| env.instruction == index) {
                continue;
            }
            let implicit = !reads(instruction, &binding.name);
            if implicit && mentions(context.text, instruction, &binding.name) {
                // `$env:NAME`, `%NAME%`: read in a way the linter does not
                // follow; removing the declaration could break it.
                return Plan::ByHand(format!(
                    "line {} names `{}` in a form the linter does not read",
                    instruction.start_line, binding.name
                ));
            }
            match effective.keyword {
                Keyword::Run if instruction.keyword == Keyword::Onbuild => {
                    return Plan::ByHand(format!(
                        "the `ONBUILD RUN` on line {} reads `{}`",
                        instruction.start_line, binding.name
                    ));
                }
                Keyword::Run if effective.json => {
                    if implicit {
                        continue;
                    }
                    return Plan::ByHand(format!(
                        "the exec-form `RUN` on line {} reads `{}`; add the mount to it by hand",
                        instruction.start_line, binding.name
                    ));
                }
                Keyword::Run => {
                    let implicitly_flagged =
                        implicit && (flagged.contains(&index) || runs_a_script(context, index));
                    if (implicit && !implicitly_flagged) || has_secret_env(effective, &binding.name)
                    {
                        continue;
                    }
                    mounts
                        .entry(index)
                        .or_default()
                        .push((arg.name.clone(), binding.name.clone()));
                    secrets.insert(arg.name.clone(), arg.name.clone());
                }
                Keyword::Cmd | Keyword::Entrypoint | Keyword::Healthcheck if !implicit => {
                    return Plan::ByHand(format!(
                        "the container reads `{}` at run time (line {}): pass it with `docker run -e {}` instead of baking it in",
                        binding.name, instruction.start_line, binding.name
                    ));
                }
                _ if implicit => {}
                _ if *must_go => {
                    return Plan::ByHand(format!(
                        "`{}` is also used by the `{}` on line {}",
                        binding.name,
                        effective.keyword_word.text.to_ascii_uppercase(),
                        instruction.start_line
                    ));
                }
                // The ARG feeds another instruction too: it stays.
                _ => keep_arg = true,
            }
        }
    }
    if let Some(env) = env {
        if let Some(runtime) = runtime_reader(context, env) {
            return Plan::ByHand(runtime);
        }
    }
    let mut edits = Vec::new();
    for (index, pairs) in &mounts {
        let instruction = &instructions[*index];
        for (id, variable) in pairs {
            edits.push(add_mount(instruction, &env_mount(id, variable)));
        }
    }
    // Two mounts on one RUN insert at one place: one edit.
    edits = merge_insertions(edits);
    for (binding, _) in &variables {
        if binding.kind == BindingKind::Arg && keep_arg {
            continue;
        }
        match remove_binding(context, binding) {
            Some(edit) => edits.push(edit),
            None => {
                return Plan::ByHand(format!(
                    "remove the declaration of `{}` by hand",
                    binding.name
                ))
            }
        }
    }
    if !mounts.is_empty() {
        if let Some(edit) = syntax_for_secret_env(context.text, context.dockerfile) {
            edits.push(edit);
        }
    }
    Plan::Edits { edits, secrets }
}

/// Insertions at one offset joined into one edit, in order.
fn merge_insertions(edits: Vec<Edit>) -> Vec<Edit> {
    let mut merged: Vec<Edit> = Vec::new();
    for edit in edits {
        match merged.last_mut() {
            Some(last) if last.span.is_empty() && last.span == edit.span => {
                last.content.push_str(&edit.content);
            }
            _ => merged.push(edit),
        }
    }
    merged
}

/// Why the container may need `env` at run time: a CMD/ENTRYPOINT of a
/// stage that sees it runs a script (which may read it). `None` when
/// nothing says so.
fn runtime_reader(context: &RuleContext<'_>, env: &Binding) -> Option<String> {
    let instructions = &context.dockerfile.instructions;
    (env.instruction + 1..instructions.len())
        .filter(|index| {
            context
                .analysis
                .resolve(&env.name, *index)
                .is_some_and(|resolved| std::ptr::eq(resolved.binding, env))
        })
        .map(|index| &instructions[index])
        .filter(|instruction| matches!(instruction.keyword, Keyword::Cmd | Keyword::Entrypoint))
        .find(|instruction| {
            instruction.arguments.words().iter().any(|word| {
                let text = word.text.as_str();
                text.ends_with(".sh") || text.ends_with(".py") || text.contains("entrypoint")
            })
        })
        .map(|instruction| {
            format!(
                "the {} on line {} runs a script that may read `{}` at run time: pass it with `docker run -e {}` (or a `{}_FILE`), then remove the ENV",
                instruction.keyword_word.text.to_ascii_uppercase(),
                instruction.start_line,
                env.name,
                env.name,
                env.name
            )
        })
}

fn build_note(secrets: &BTreeMap<String, String>) -> Option<String> {
    if secrets.is_empty() {
        return None;
    }
    let flags: Vec<String> = secrets
        .iter()
        .map(|(id, variable)| format!("--secret id={id},env={variable}"))
        .collect();
    Some(format!("docker build {} .", flags.join(" ")))
}

/// DLK003 and DLK006: `ARG TOKEN` read by RUNs becomes a secret mount on
/// each of them; the ARG goes.
pub fn arg_to_secret_mount(
    context: &RuleContext<'_>,
    finding: &Finding,
    findings: &[Finding],
) -> Option<Fix> {
    let binding = binding_of(context, finding)?;
    match binding.kind {
        BindingKind::Env => env_to_secret_mount(context, binding, findings),
        BindingKind::Arg => {
            let title = format!(
                "pass `{name}` as a secret: `--mount=type=secret,id={name},env={name}` on each `RUN` that reads it, and remove the `ARG`",
                name = binding.name
            );
            Some(finish(
                plan_secret_env(context, findings, binding, None),
                title,
            ))
        }
    }
}

/// The Dockerfile side of a DLK011 fix: every `ARG name` of the file
/// (whether DLK003 reports it or not: the build definition passes it as a
/// secret) becomes `--mount=type=secret,id=name,env=name` on each `RUN`
/// that reads it, as [`arg_to_secret_mount`] does for one declaration.
/// `None` when the file declares no `ARG name`. Display-only when any
/// declaration cannot be rewritten (the reason is in the message).
pub fn named_arg_to_secret_mount(
    context: &RuleContext<'_>,
    name: &str,
    findings: &[Finding],
) -> Option<Fix> {
    let declarations: Vec<&Binding> = context
        .analysis
        .bindings
        .iter()
        .filter(|binding| binding.kind == BindingKind::Arg && binding.name == name)
        .collect();
    if declarations.is_empty() {
        return None;
    }
    let title = format!(
        "pass `{name}` as a secret: `--mount=type=secret,id={name},env={name}` on each `RUN` that reads it, and remove the `ARG`"
    );
    let mut edits = Vec::new();
    let mut secrets = BTreeMap::new();
    for binding in declarations {
        match plan_secret_env(context, findings, binding, None) {
            Plan::Edits {
                edits: more,
                secrets: more_secrets,
            } => {
                edits.extend(more);
                secrets.extend(more_secrets);
            }
            by_hand @ Plan::ByHand(_) => return Some(finish(by_hand, title)),
        }
    }
    // The same `# syntax=` edit from each declaration is one edit; any
    // other overlap means the declarations' rewrites collide.
    edits.sort_by_key(|edit| edit.span);
    edits.dedup();
    if edits
        .windows(2)
        .any(|pair| pair[0].span.end > pair[1].span.start || pair[0].span == pair[1].span)
    {
        return Some(finish(
            Plan::ByHand(format!("the declarations of `{name}` overlap")),
            title,
        ));
    }
    Some(finish(Plan::Edits { edits, secrets }, title))
}

/// DLK004: `ARG T` + `ENV NAME=$T` becomes a secret mount on each RUN that
/// reads `NAME` (or `T`); the ENV goes, and the ARG when nothing else uses
/// it.
pub fn env_from_arg_to_secret_mount(
    context: &RuleContext<'_>,
    finding: &Finding,
    findings: &[Finding],
) -> Option<Fix> {
    let is_the_env = |binding: &&Binding| {
        binding.kind == BindingKind::Env && binding.value_span == Some(finding.span)
    };
    // Bindings are in instruction order: look at the finding's instruction
    // first (a scan of all of them for each finding made a file of many
    // ENVs quadratic), at all of them only if that misses (a trigger).
    let bindings = &context.analysis.bindings;
    let env = instruction_at(context, finding.span.start)
        .and_then(|index| {
            let first = bindings.partition_point(|binding| binding.instruction < index);
            bindings[first..]
                .iter()
                .take_while(|binding| binding.instruction == index)
                .find(is_the_env)
        })
        .or_else(|| bindings.iter().find(is_the_env))?;
    env_to_secret_mount(context, env, findings)
}

fn env_to_secret_mount(
    context: &RuleContext<'_>,
    env: &Binding,
    findings: &[Finding],
) -> Option<Fix> {
    let value = env.value.as_ref()?;
    // Only `ENV NAME=$ARG` (or `${ARG}`, quoted): the value is the ARG's.
    let raw = env.value_span?.slice(context.text).trim_matches('"');
    let [reference] = value.references.as_slice() else {
        return None;
    };
    let whole = raw == format!("${}", reference.name) || raw == format!("${{{}}}", reference.name);
    if !whole {
        return None;
    }
    let resolved = context.analysis.resolve(&reference.name, env.instruction)?;
    if resolved.binding.kind != BindingKind::Arg {
        return None;
    }
    let arg = resolved.binding;
    let title = format!(
        "pass `{}` as a secret: `--mount=type=secret,id={},env={}` on each `RUN` that reads it, and remove the `ENV`",
        env.name, arg.name, env.name
    );
    Some(finish(
        plan_secret_env(context, findings, arg, Some(env)),
        title,
    ))
}

fn finish(plan: Plan, title: String) -> Fix {
    match plan {
        Plan::Edits { edits, secrets } => {
            let fix = Fix::new(Applicability::Unsafe, title, edits);
            match build_note(&secrets) {
                Some(note) => fix.with_build_note(note),
                None => fix,
            }
        }
        Plan::ByHand(reason) => Fix::display_only(format!("{title} ({reason})")),
    }
}

/// DLK005 and DLK007: a committed secret is compromised; a person rotates
/// it. Nothing is applied.
pub fn rotate_credential(_finding: &Finding) -> Option<Fix> {
    Some(Fix::display_only(
        "rotate this credential (it is compromised once committed or built into an image), then pass the new one as a secret: `RUN --mount=type=secret,id=…` and `docker build --secret id=…`",
    ))
}

/// DLK008: a secret copied out of its mount: read it in place.
pub fn use_secret_in_place(_finding: &Finding) -> Option<Fix> {
    Some(Fix::display_only(
        "read the secret where the mount puts it (`target=` the path the tool reads, or `env=`) instead of copying it into the layer; if the file is needed at run time, pass it to the container instead",
    ))
}

/// Where the mount options of a file secret come from for instruction
/// `index`: the `USER` it runs as.
pub fn file_owner(context: &RuleContext<'_>, index: usize) -> String {
    owner_options(user_at(context.dockerfile, context.analysis, index).as_deref())
}

/// DLK010: the credential files `paths` (relative to the context `root`)
/// added to the ignore file in force (`ignore_file`), or to a new
/// `.dockerignore` in the context. The existing patterns and line ends stay;
/// a pattern added at the end also wins over an earlier `!exception`.
/// Safe: the image builds the same, without the credential files.
pub fn ignore_context_files<'a>(
    ignore_file: Option<&std::path::Path>,
    root: &std::path::Path,
    paths: impl Iterator<Item = &'a str>,
) -> Option<Fix> {
    // A name with pattern characters would need escaping that older
    // builders read differently: left to the user.
    let plain = |path: &&str| {
        !path.is_empty()
            && !path.contains(['*', '?', '[', '\\', '\n', '\r'])
            && !path.starts_with(['!', '#'])
            && path.trim() == *path
    };
    let patterns: Vec<&str> = paths.filter(plain).collect();
    if patterns.is_empty() {
        return None;
    }
    let target = ignore_file.map_or_else(
        || root.join(crate::dockerignore::DEFAULT_FILE_NAME),
        std::path::Path::to_path_buf,
    );
    let existing = match std::fs::read_to_string(&target) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(_) => return None,
    };
    let text = existing.as_deref().unwrap_or("");
    let newline = super::edits::line_end(text);
    let mut content = String::new();
    if !text.is_empty() && !text.ends_with('\n') {
        content.push_str(newline);
    }
    for pattern in &patterns {
        content.push_str(pattern);
        content.push_str(newline);
    }
    let shown = target.to_string_lossy().into_owned();
    let span = crate::source::Span::empty(text.len());
    let lines = crate::source::LineIndex::new(text);
    let edit = Edit {
        span,
        content,
        file: Some(super::OtherFile::new(shown.as_str(), text, &lines, span)),
    };
    let name = target
        .file_name()
        .map_or_else(|| shown.clone(), |name| name.to_string_lossy().into_owned());
    let verb = if existing.is_some() { "add" } else { "create" };
    let listed = patterns
        .iter()
        .map(|pattern| format!("`{pattern}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let message = match existing {
        Some(_) => format!("{verb} {listed} to `{name}`"),
        None => format!("{verb} `{name}` in the build context with {listed}"),
    };
    Some(Fix::new(Applicability::Safe, message, vec![edit]))
}

/// The COPY that a DLK001/DLK002 finding is about: the instruction holding
/// its span, or one of its labels, that copies a file into the layer.
fn credential_copy(context: &RuleContext<'_>, finding: &Finding) -> Option<usize> {
    std::iter::once(finding.span)
        .chain(finding.labels.iter().map(|label| label.span))
        .filter_map(|span| instruction_at(context, span.start))
        .find(|index| {
            let instruction = &context.dockerfile.instructions[*index];
            instruction.keyword == Keyword::Copy
                && context.analysis.layer(*index).is_some_and(|layer| {
                    layer.added.len() == 1
                        && layer.added[0].by == crate::analysis::layers::AddedBy::Copy
                })
        })
}

/// Whether `path` (absolute) names an SSH private key.
fn is_ssh_private_key(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.starts_with("id_") && !name.ends_with(".pub")
}

/// DLK001 and DLK002: `COPY .netrc /root/.netrc` … `RUN rm /root/.netrc`
/// becomes a secret mount with `target=` on each RUN in between (an SSH
/// private key used by `git`/`ssh`: `--mount=type=ssh`); the COPY goes, and
/// the RUN that only removes it.
pub fn credential_file_to_secret_mount(
    context: &RuleContext<'_>,
    finding: &Finding,
) -> Option<Fix> {
    let copy_index = credential_copy(context, finding)?;
    let instructions = &context.dockerfile.instructions;
    let copy = &instructions[copy_index];
    let layer = context.analysis.layer(copy_index)?;
    let added = &layer.added[0];
    let path = added.path.clone();
    let source = added.source.clone()?;
    if !path.starts_with('/') || copy.flag("from").is_some() || copy.flags.len() > 1 {
        return None;
    }
    let ssh = is_ssh_private_key(&path);
    let id = crate::rules::secret_id(&source);
    let title = if ssh {
        format!("use the SSH agent instead of copying `{source}`: `--mount=type=ssh` on the `RUN`s that need it, and remove the `COPY`")
    } else {
        format!("mount `{source}` as a secret instead of copying it: `--mount=type=secret,id={id},target={path}` on the `RUN`s that need it, and remove the `COPY`")
    };
    let by_hand = |reason: String| Some(Fix::display_only(format!("{title} ({reason})")));
    let stage = context.analysis.stage_of(copy_index)?;
    // The RUN that removes it, in the same stage.
    let removing = context
        .analysis
        .removing_between(copy_index, stage.instructions.end);
    let removal = removing.iter().copied().find(|index| {
        instructions[*index].keyword == Keyword::Run
            && context
                .analysis
                .layer(*index)
                .is_some_and(|layer| layer.removed.iter().any(|removed| removed.removes(&path)))
    });
    // `cmd && rm FILE` in one RUN: the mount serves `cmd`, the removal goes.
    if let Some(removal) = removal {
        if let Some(cut) = removal_in_list(context, removal, &path) {
            let run = &instructions[removal];
            if !run.json
                && (copy_index + 1..removal)
                    .all(|index| instructions[index].keyword != Keyword::Run)
            {
                let mut edits = vec![remove_instruction(context.text, copy), cut];
                let text = run.span.slice(context.text);
                if text.matches(name_of(&path)).count() > 1 {
                    return by_hand(format!(
                        "the `RUN` on line {} names the file itself",
                        run.start_line
                    ));
                }
                if ssh {
                    edits.push(add_mount(run, "type=ssh"));
                } else {
                    let owner = file_owner(context, removal);
                    edits.push(add_mount(
                        run,
                        &format!("type=secret,id={id},target={path}{owner}"),
                    ));
                }
                let note = build_note_for_file(ssh, &id, &source);
                return Some(Fix::new(Applicability::Unsafe, title, edits).with_build_note(note));
            }
        }
    }
    let Some(removal) = removal else {
        return by_hand(
            "nothing removes it, so the image may need it at run time: if only the build does, mount it instead".to_string(),
        );
    };
    let name = path.rsplit('/').next().unwrap_or(&path);
    let mut edits = vec![remove_instruction(context.text, copy)];
    let mut mounted = 0;
    for (index, instruction) in instructions
        .iter()
        .enumerate()
        .take(removal)
        .skip(copy_index + 1)
    {
        match instruction.keyword {
            Keyword::Run => {}
            Keyword::Copy | Keyword::Add | Keyword::Onbuild => {
                return by_hand(format!(
                    "line {} copies or triggers something while the file is there",
                    instruction.start_line
                ))
            }
            _ => continue,
        }
        if instruction.json {
            return by_hand(format!(
                "the exec-form `RUN` on line {} may read it; add the mount to it by hand",
                instruction.start_line
            ));
        }
        let text = instruction.span.slice(context.text);
        if text.contains(name) {
            // `chmod 600 ~/.netrc`, `ssh -i …`: a mount is read-only, and
            // the agent has no key file.
            return by_hand(format!(
                "the `RUN` on line {} names the file itself",
                instruction.start_line
            ));
        }
        if ssh {
            let uses_ssh = context
                .analysis
                .full_shell(context.dockerfile, index)
                .is_some_and(|script| {
                    script.commands.iter().any(|command| {
                        command.name.as_ref().is_some_and(|name| {
                            let tool = name.text.rsplit('/').next().unwrap_or(&name.text);
                            matches!(tool, "git" | "ssh" | "scp" | "rsync" | "sftp")
                        })
                    })
                });
            if !uses_ssh {
                continue;
            }
            edits.push(add_mount(instruction, "type=ssh"));
        } else {
            let owner = file_owner(context, index);
            edits.push(add_mount(
                instruction,
                &format!("type=secret,id={id},target={path}{owner}"),
            ));
        }
        mounted += 1;
    }
    if mounted == 0 {
        return by_hand("no `RUN` between the copy and the removal uses it".to_string());
    }
    // The removal: a RUN that does nothing else goes; a forced removal
    // (`rm -f`) of a file no longer there is harmless and stays.
    let remover = &instructions[removal];
    let removal_layer = context.analysis.layer(removal)?;
    let only_removes = context
        .analysis
        .full_shell(context.dockerfile, removal)
        .is_some_and(|script| {
            script.commands.len() == 1
                && removal_layer.removed.len() == 1
                && script.commands[0]
                    .name
                    .as_ref()
                    .is_some_and(|name| name.text == "rm")
        });
    if only_removes && !remover.json {
        edits.push(remove_instruction(context.text, remover));
    } else {
        let forced = context
            .analysis
            .full_shell(context.dockerfile, removal)
            .is_some_and(|script| {
                script.commands.iter().any(|command| {
                    command.name.as_ref().is_some_and(|name| name.text == "rm")
                        && command.arguments.iter().any(|argument| {
                            argument.text.starts_with('-')
                                && !argument.text.starts_with("--")
                                && argument.text.contains('f')
                                || argument.text == "--force"
                        })
                })
            });
        if !forced {
            return by_hand(format!(
                "the `RUN` on line {} removes it among other commands: drop that removal",
                remover.start_line
            ));
        }
    }
    let note = build_note_for_file(ssh, &id, &source);
    Some(Fix::new(Applicability::Unsafe, title, edits).with_build_note(note))
}

fn build_note_for_file(ssh: bool, id: &str, source: &str) -> String {
    if ssh {
        "docker build --ssh default .".to_string()
    } else {
        format!("docker build --secret id={id},src={source} .")
    }
}

fn name_of(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// For a RUN `cmd && rm FILE` (or `rm FILE && cmd`) where that `rm` removes
/// only `path`: the edit that takes ` && rm FILE` out, continuation and
/// spacing of the rest kept. `None` when the RUN is shaped otherwise.
fn removal_in_list(context: &RuleContext<'_>, index: usize, path: &str) -> Option<Edit> {
    let script = context.analysis.full_shell(context.dockerfile, index)?;
    let layer = context.analysis.layer(index)?;
    let removals: Vec<_> = layer
        .removed
        .iter()
        .filter(|removed| removed.removes(path))
        .collect();
    let [removal] = removals.as_slice() else {
        return None;
    };
    if script.commands.len() < 2
        || layer
            .removed
            .iter()
            .filter(|removed| removed.command == removal.command)
            .count()
            != 1
    {
        return None;
    }
    let command = script.commands.get(removal.command)?;
    let name = command.name.as_ref().filter(|name| name.text == "rm")?;
    if command.in_substitution
        || command.pipes_into.is_some()
        || command.piped_from.is_some()
        || !command.redirects.is_empty()
    {
        return None;
    }
    let paths: Vec<_> = command
        .arguments
        .iter()
        .filter(|argument| !argument.text.starts_with('-'))
        .collect();
    if paths.len() != 1 {
        return None;
    }
    let start = name.span.start;
    let end = command.arguments.last()?.span.end;
    let text = context.text;
    let escape = context.dockerfile.escape;
    // What separates two commands: blanks, and escaped line ends.
    let is_gap = |gap: &str| {
        gap.chars()
            .all(|ch| ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == escape)
            && !gap.contains("\n\n")
    };
    let before = &text[..start];
    let trimmed = before.trim_end_matches(|ch: char| ch.is_whitespace() || ch == escape);
    if trimmed.ends_with("&&") && removal.command + 1 == script.commands.len() {
        // `cmd && rm FILE` at the end: cut from the end of `cmd`.
        let cut_start = trimmed.len() - 2;
        // Back over the continuation too: `cmd \⏎ && rm FILE` → `cmd`.
        let cut_start = text[..cut_start]
            .trim_end_matches(|ch: char| ch.is_whitespace() || ch == escape)
            .len();
        if !is_gap(&text[trimmed.len()..start])
            || !text[end..].starts_with(['\n', '\r']) && end != text.len()
        {
            return None;
        }
        return Some(Edit::delete(Span::new(cut_start, end)));
    }
    let after = &text[end..];
    let rest = after.trim_start_matches([' ', '\t']);
    if removal.command == 0 && rest.starts_with("&&") {
        // `rm FILE && cmd`: cut up to `cmd`.
        let after_and = end + (after.len() - rest.len()) + 2;
        let next = text[after_and..].trim_start_matches([' ', '\t']);
        if next.starts_with(escape) || next.starts_with(['\n', '\r']) {
            return None;
        }
        return Some(Edit::delete(Span::new(start, text.len() - next.len())));
    }
    None
}
