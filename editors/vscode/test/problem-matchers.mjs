// The VS Code task of docs/integrations.md ("#### VS Code task"): its
// problem matchers, with Node's regular expressions (VS Code's own), on
// what the real dockerleak prints for a finding, a syntax error, a file
// error without a place, a broken .dockerleak.toml (standard error) and a
// usage error. Each line is matched by every matcher, as VS Code does.
//
//   node editors/vscode/test/problem-matchers.mjs <repository root> <dockerleak> <scratch dir>

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const [root, dockerleak, scratch] = process.argv.slice(2);
function fail(message) {
  console.error(`FAILED (VS Code problem matchers): ${message}`);
  process.exit(1);
}
if (!root || !dockerleak || !scratch) {
  fail("usage: problem-matchers.mjs <repository root> <dockerleak> <scratch dir>");
}

// The ```json block of the "#### VS Code task" section.
const docs = readFileSync(join(root, "docs/integrations.md"), "utf8");
const section = docs.split("\n#### VS Code task\n")[1];
if (section === undefined) fail("docs/integrations.md has no #### VS Code task");
const block = /```json\n([\s\S]*?)\n```/.exec(section.split("\n#### ")[0]);
if (block === null) fail("no ```json block under #### VS Code task");
const task = JSON.parse(block[1]).tasks[0];
const matchers = [task.problemMatcher].flat();
if (task.args[0] !== "--format" || task.args[1] !== "gnu") fail("the task does not run --format gnu");

/** The problems VS Code would make of `output`. */
function problems(output) {
  const found = [];
  for (const line of output.split("\n")) {
    for (const matcher of matchers) {
      const pattern = matcher.pattern;
      const match = new RegExp(pattern.regexp).exec(line);
      if (match === null) continue;
      const group = (name) => (pattern[name] === undefined ? undefined : match[pattern[name]]);
      const problem = {
        file: group("file"),
        line: pattern.kind === "file" ? undefined : Number(group("line")),
        column: pattern.kind === "file" ? undefined : Number(group("column")),
        severity: group("severity") ?? matcher.severity ?? "error",
        code: group("code"),
        message: group("message"),
      };
      // VS Code drops a location match without a line, and any without a file or message.
      if (!problem.file || !problem.message || (pattern.kind !== "file" && !problem.line)) continue;
      found.push(problem);
    }
  }
  return found;
}

function run(directory, args) {
  const result = spawnSync(dockerleak, ["--format", "gnu", ...args], { cwd: directory, encoding: "utf8" });
  if (result.status !== 1 && result.status !== 2) fail(`dockerleak ${args.join(" ")} exited ${result.status}`);
  // A task's output is the terminal's: both streams.
  return problems(result.stdout + result.stderr);
}

function expect(found, wanted, what) {
  const same = (a, b) => Object.keys(b).every((key) => (key === "message" ? a.message.includes(b.message) : a[key] === b[key]));
  for (const want of wanted) {
    if (!found.some((problem) => same(problem, want))) {
      fail(`${what}: no problem like ${JSON.stringify(want)}; have ${JSON.stringify(found, null, 1)}`);
    }
  }
  if (found.length !== wanted.length) {
    fail(`${what}: ${wanted.length} problems expected; have ${JSON.stringify(found, null, 1)}`);
  }
  console.log(`   ${what}: ${found.length} problem(s)`);
}

rmSync(scratch, { recursive: true, force: true });
mkdirSync(scratch, { recursive: true });
writeFileSync(join(scratch, "Dockerfile"), "FROM alpine:3.20\nCOPY .netrc /root/.netrc\nRUN <<EOF\nnever closed\n");
writeFileSync(join(scratch, "web.Dockerfile"), Buffer.from([0xff, 0xfe, 0x46, 0x00]));
expect(
  run(scratch, ["Dockerfile", "web.Dockerfile"]),
  [
    { file: "Dockerfile", line: 2, column: 6, severity: "error", code: "DLK001", message: "COPY puts `.netrc`" },
    { file: "Dockerfile", line: 3, column: 5, severity: "error", code: undefined, message: "unterminated heredoc" },
    { file: "web.Dockerfile", line: undefined, severity: "error", message: "UTF-16" },
  ],
  "a finding, a syntax error, a file error without a place",
);
// Every line of a real report (examples/leaky: errors and warnings) is one
// problem, its code out of the message.
const leaky = spawnSync(dockerleak, ["--format", "gnu", "--no-config", "examples/leaky/Dockerfile"], { cwd: root, encoding: "utf8" });
const lines = leaky.stdout.split("\n").filter((line) => line !== "");
const fromLeaky = problems(leaky.stdout);
if (lines.length < 4 || fromLeaky.length !== lines.length) fail(`examples/leaky: ${lines.length} lines, ${fromLeaky.length} problems`);
for (const [index, problem] of fromLeaky.entries()) {
  const [, severity, code] = / (error|warning|note): .* \[(DLK\d+)\]$/.exec(lines[index]) ?? [];
  if (problem.severity !== severity || problem.code !== code || problem.message.includes("[DLK")) {
    fail(`examples/leaky: ${lines[index]} became ${JSON.stringify(problem)}`);
  }
}
console.log(`   examples/leaky: ${fromLeaky.length} problems, severities and codes as printed`);
writeFileSync(join(scratch, ".dockerleak.toml"), 'select = ["DLK001"]\nignore = "not a list"\n');
expect(
  run(scratch, ["Dockerfile"]),
  [{ file: ".dockerleak.toml", line: 2, severity: "error", message: "invalid configuration" }],
  "a broken .dockerleak.toml (standard error)",
);
rmSync(join(scratch, ".dockerleak.toml"));
// A usage error has no file to put a problem on: none, and none on a file called "dockerleak".
expect(run(scratch, ["--select", "XYZ", "Dockerfile"]), [], "a usage error");
console.log("   VS Code problem matchers: all checks passed");
