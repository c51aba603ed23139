//! The YAML front-end: a pipeline file becomes a `WorkflowDefinition`, or every problem in it
//! with its `file:line:col`.
//!
//! `tree` turns the text into positioned nodes; this module checks them against the workflow
//! schema. Checking goes on past the first problem so that one run reports them all.

mod tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use self::tree::{Kind, Node, Pos};
use super::duration::duration_from_json;
use super::{template, validate_step_id, DefinitionError, DefinitionKind, Location};
use super::{StepConfig, StepKind, WorkflowDefinition};

const TOP_KEYS: &str = "name, description, argsSchema, phases, steps, timeout";
const STEP_KEYS: &str = "id, name, phase, type, command, cwd, prompt, agent, permission, env, \
                         timeout, continueOnError";
const SCRIPT_KEYS: &[&str] = &["command", "cwd"];
const AGENT_KEYS: &[&str] = &["prompt", "agent", "permission"];
const AGENTS: &[&str] = &["claude", "codex", "gemini"];
const PERMISSIONS: &[&str] = &["default", "plan", "acceptEdits", "bypassPermissions"];
const NO_FUNCTION_STEPS: &str = "function steps need a TypeScript workflow (.ts); YAML steps are script or agent";

/// Parses a YAML workflow. `path` is recorded in the definition and in every error as given.
pub fn parse_yaml(path: &Path, source: &str) -> Result<WorkflowDefinition, Vec<DefinitionError>> {
    let mut c = Checker::new(path);
    let (root, problems) = match tree::parse(source) {
        Ok(parsed) => parsed,
        Err((pos, message)) => {
            c.err(pos, message);
            return Err(c.errors);
        }
    };
    for (pos, message) in problems {
        c.err(pos, message);
    }
    let definition = match &root {
        Some(root) if !root.is_null() => c.workflow(root),
        _ => {
            let message = "the file is empty: a workflow needs name, phases and steps";
            c.err(Pos(1, 1), message.into());
            None
        }
    };
    match definition {
        Some(definition) if c.errors.is_empty() => Ok(definition),
        _ => {
            c.errors
                .sort_by_key(|e| e.location.as_ref().map(|l| (l.line, l.column)));
            Err(c.errors)
        }
    }
}

fn duration(node: &Node, key: &str) -> Result<u64, String> {
    duration_from_json(&node.json()).map_err(|e| format!("'{key}': {e}"))
}

fn step_kind(node: &Node) -> Result<StepKind, String> {
    match node.string("type")?.as_str() {
        "script" => Ok(StepKind::Script),
        "agent" => Ok(StepKind::Agent),
        "function" => Err(NO_FUNCTION_STEPS.into()),
        other => Err(format!("unknown step type '{other}' (expected script or agent)")),
    }
}

fn step_id(node: &Node, earlier: &[(String, usize)]) -> Result<String, String> {
    let id = node.string("id")?;
    validate_step_id(&id)?;
    match earlier.iter().find(|(e, _)| *e == id) {
        Some((_, line)) => Err(format!("duplicate step id '{id}' (first at line {line})")),
        None => Ok(id),
    }
}

/// `phases` is `None` when the declared phases could not be read, so there is nothing to check.
fn phase_of(node: &Node, label: &str, phases: Option<&[String]>) -> Result<String, String> {
    let phase = node.string("phase")?;
    match phases {
        Some(phases) if !phases.contains(&phase) => Err(format!(
            "{label} uses phase '{phase}', which is not declared in phases ({})",
            phases.join(", ")
        )),
        _ => Ok(phase),
    }
}

#[derive(Default)]
struct Checker {
    file: PathBuf,
    errors: Vec<DefinitionError>,
    known_args: Option<Vec<String>>,
    phases: Option<Vec<String>>,
    /// Ids of the steps checked so far, with the line each id is on.
    earlier: Vec<(String, usize)>,
}

impl Checker {
    fn new(file: &Path) -> Self {
        Checker {
            file: file.to_path_buf(),
            ..Checker::default()
        }
    }

    fn location(&self, pos: Pos) -> Location {
        Location {
            file: self.file.clone(),
            line: pos.0,
            column: pos.1,
        }
    }

    fn err(&mut self, pos: Pos, message: String) {
        let location = self.location(pos);
        self.errors.push(DefinitionError::at(Some(location), message));
    }

    /// Runs `rule` on `node` if it is there, recording a failure at the node.
    fn check<T>(&mut self, node: Option<&Node>, rule: impl Fn(&Node) -> Result<T, String>) -> Option<T> {
        let node = node?;
        rule(node).map_err(|message| self.err(node.pos, message)).ok()
    }

    /// Reports keys of the mapping `node` that are not in `allowed` (a ", "-separated list).
    fn allow(&mut self, node: &Node, allowed: &str, context: &str) {
        let Kind::Map(pairs) = &node.kind else { return };
        for key in pairs.iter().map(|(k, _)| k) {
            let raw = key.raw().unwrap_or_default();
            if !allowed.split(", ").any(|a| a == raw) {
                let message = format!("unknown key '{raw}'{context} (expected one of: {allowed})");
                self.err(key.pos, message);
            }
        }
    }

    fn mapping(&mut self, node: &Node, what: &str) -> bool {
        let is_map = matches!(node.kind, Kind::Map(_));
        if !is_map {
            let message = format!("{what} must be a mapping, found {}", node.describe());
            self.err(node.pos, message);
        }
        is_map
    }

    fn required<'n>(&mut self, node: &'n Node, key: &str, owner: &str) -> Option<&'n Node> {
        let value = node.get(key);
        if value.is_none() {
            let message = format!("{owner} is missing required key '{key}'");
            self.err(node.pos, message);
        }
        value
    }

    /// A string whose `{{ }}` placeholders may use the arguments and earlier steps.
    fn text(&mut self, node: Option<&Node>, key: &str) -> Option<String> {
        let earlier: Vec<String> = self.earlier.iter().map(|(id, _)| id.clone()).collect();
        let args = self.known_args.clone();
        self.check(node, |n| {
            let text = n.text(key)?;
            template::check(&text, args.as_deref(), &earlier).map(|_| text)
        })
    }

    fn workflow(&mut self, root: &Node) -> Option<WorkflowDefinition> {
        if !self.mapping(root, "a workflow file") {
            return None;
        }
        self.allow(root, TOP_KEYS, "");
        let name = self.required(root, "name", "the workflow");
        let name = self.check(name, |n| n.string("name"));
        let description = self.check(root.opt("description"), |n| n.string("description"));
        let timeout_ms = self.check(root.opt("timeout"), |n| duration(n, "timeout"));
        let args_schema = root.opt("argsSchema").map(|n| self.args_schema(n));
        let properties = args_schema.as_ref().and_then(|s| s.get("properties")?.as_object());
        self.known_args = properties.map(|p| p.keys().cloned().collect());
        let phases = self.required(root, "phases", "the workflow");
        self.phases = phases.and_then(|n| self.phase_list(n));
        let mut steps = Vec::new();
        let list = self.required(root, "steps", "the workflow");
        match list.map(|n| &n.kind) {
            Some(Kind::Seq(items)) if !items.is_empty() => {
                for (i, item) in items.iter().enumerate() {
                    steps.extend(self.step(item, i + 1));
                }
            }
            Some(_) => {
                let found = list.map(Node::describe).unwrap_or_default();
                let message = format!("'steps' must be a non-empty list of steps, found {found}");
                self.err(list?.pos, message);
            }
            None => {}
        }
        Some(WorkflowDefinition {
            name: name?,
            description,
            kind: DefinitionKind::Yaml,
            path: self.file.clone(),
            phases: self.phases.clone()?,
            args_schema,
            timeout_ms,
            steps,
        })
    }

    fn args_schema(&mut self, node: &Node) -> Value {
        if self.mapping(node, "'argsSchema' (a JSON Schema of type object)") {
            if let Some(kind) = node.get("type").filter(|t| t.raw() != Some("object")) {
                let found = kind.describe();
                let message = format!("argsSchema type must be 'object' (named arguments), found {found}");
                self.err(kind.pos, message);
            }
        }
        node.json()
    }

    fn phase_list(&mut self, node: &Node) -> Option<Vec<String>> {
        let items = match &node.kind {
            Kind::Seq(items) if !items.is_empty() => items,
            _ => {
                let found = node.describe();
                let message = format!("'phases' must be a non-empty list of names, found {found}");
                self.err(node.pos, message);
                return None;
            }
        };
        let mut phases: Vec<(String, usize)> = Vec::new();
        for item in items {
            let Some(phase) = self.check(Some(item), |n| n.string("phases[]")) else {
                continue;
            };
            match phases.iter().find(|(p, _)| *p == phase) {
                Some((_, line)) => {
                    let message = format!("duplicate phase '{phase}' (first at line {line})");
                    self.err(item.pos, message);
                }
                None => phases.push((phase, item.pos.0)),
            }
        }
        Some(phases.into_iter().map(|(p, _)| p).collect())
    }

    fn step(&mut self, node: &Node, number: usize) -> Option<StepConfig> {
        let label = match node.get("id").map(|id| &id.kind) {
            Some(Kind::Scalar(Value::String(id), _)) => format!("step '{id}'"),
            _ => format!("step {number}"),
        };
        if !self.mapping(node, &label) {
            return None;
        }
        self.allow(node, STEP_KEYS, &format!(" in {label}"));
        let id = self.required(node, "id", &label);
        let (earlier, phases) = (self.earlier.clone(), self.phases.clone());
        let id = self.check(id, |n| step_id(n, &earlier));
        let phase = self.required(node, "phase", &label);
        let phase = self.check(phase, |n| phase_of(n, &label, phases.as_deref()));
        let kind = self.required(node, "type", &label);
        let kind = self.check(kind, step_kind);

        let location = Some(self.location(node.pos));
        let mut step = StepConfig {
            kind,
            location,
            ..StepConfig::default()
        };
        let (foreign, own, other) = match kind {
            Some(StepKind::Script) => {
                let command = self.required(node, "command", &label);
                step.command = self.text(command, "command");
                step.cwd = self.text(node.opt("cwd"), "cwd");
                (AGENT_KEYS, "a script", "agent")
            }
            Some(_) => {
                let prompt = self.required(node, "prompt", &label);
                step.prompt = self.text(prompt, "prompt");
                let agent = self.required(node, "agent", &label);
                step.agent = self.check(agent, |n| n.one_of("agent", AGENTS));
                let permission = node.opt("permission");
                step.permission = self.check(permission, |n| n.one_of("permission", PERMISSIONS));
                (SCRIPT_KEYS, "an agent", "script")
            }
            None => (&[][..], "", ""),
        };
        for key in foreign.iter().filter_map(|&key| node.get_key(key)) {
            let raw = key.raw().unwrap_or_default();
            let message = format!("'{raw}' applies to {other} steps, but {label} is {own} step");
            self.err(key.pos, message);
        }
        step.env = node.opt("env").map(|n| self.env(n)).unwrap_or_default();
        step.timeout_ms = self.check(node.opt("timeout"), |n| duration(n, "timeout"));
        step.continue_on_error = self
            .check(node.opt("continueOnError"), |n| {
                let found = n.describe();
                let message = format!("'continueOnError' must be true or false, found {found}");
                n.json().as_bool().ok_or(message)
            })
            .unwrap_or_default();
        let id = id?;
        self.earlier.push((id.clone(), node.get_key("id")?.pos.0));
        let name = self.check(node.opt("name"), |n| n.string("name"));
        step.name = name.unwrap_or(id.clone());
        step.id = id;
        step.phase = phase?;
        Some(step)
    }

    fn env(&mut self, node: &Node) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        let Kind::Map(pairs) = &node.kind else {
            self.mapping(node, "'env' (names to values)");
            return env;
        };
        for (key, value) in pairs {
            let name = key.raw().unwrap_or_default();
            let valid = name.chars().next().is_some_and(|c| !c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid {
                let message = format!("invalid env name '{name}': use letters, digits and '_'");
                self.err(key.pos, message);
            }
            let text = self.text(Some(value), &format!("env {name}"));
            env.insert(name.to_string(), text.unwrap_or_default());
        }
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every problem in `src` as (line, column, message).
    fn errors(src: &str) -> Vec<(usize, usize, String)> {
        let errors = parse_yaml(Path::new("wf.yaml"), src).expect_err("should not parse");
        let locate = |e: DefinitionError| {
            let l = e.location.expect("every error is located");
            assert_eq!(l.file, Path::new("wf.yaml"));
            (l.line, l.column, e.message)
        };
        errors.into_iter().map(locate).collect()
    }

    /// Asserts that `src` has exactly one problem, at `line`:`col`, whose message has `text`.
    #[track_caller]
    fn assert_error(src: &str, line: usize, col: usize, text: &str) {
        let found = errors(src);
        assert_eq!(found.len(), 1, "{src}\n{found:#?}");
        let (l, c, message) = &found[0];
        assert_eq!((*l, *c), (line, col), "{message}\n{src}");
        assert!(message.contains(text), "{message:?} lacks {text:?}\n{src}");
    }

    /// A valid workflow of four lines; step `a` is on line 4.
    const HEAD: &str = "name: t\nphases: [build, test]\nsteps:\n\
                        - {id: a, phase: build, type: script, command: make}\n";

    /// Checks rows of `line:col | source | message fragment`, where `\n` in the source is a
    /// newline and a leading `$` stands for `HEAD`.
    #[track_caller]
    fn assert_errors(table: &str) {
        for row in table.lines().map(str::trim).filter(|row| !row.is_empty()) {
            let [at, src, text] = row.splitn(3, " | ").collect::<Vec<_>>()[..] else {
                panic!("bad row {row}")
            };
            let (line, col) = at.split_once(':').expect("line:col");
            let src = src.replace("\\n", "\n");
            let src = src
                .strip_prefix('$')
                .map_or(src.clone(), |rest| format!("{HEAD}{rest}"));
            assert_error(&src, line.parse().unwrap(), col.parse().unwrap(), text);
        }
    }

    const SPEC_EXAMPLE: &str = r#"# .agent/workflows/definitions/simple-pipeline.yaml
name: Simple Build Pipeline
description: Build, test, and deploy

argsSchema:
  type: object
  properties:
    environment:
      type: string
      enum: [dev, staging, production]
  required: [environment]

phases:
  - build
  - test
  - deploy

steps:
  - id: install-deps
    name: Install Dependencies
    phase: build
    type: script
    command: pnpm install

  - id: build-app
    name: Build Application
    phase: build
    type: script
    command: pnpm build

  - id: run-tests
    name: Run Tests
    phase: test
    type: script
    command: pnpm test

  - id: deploy
    name: Deploy
    phase: deploy
    type: script
    command: pnpm deploy --env {{ args.environment }}
"#;

    #[test]
    fn parses_the_spec_example() {
        let path = Path::new("defs/simple-pipeline.yaml");
        let def = parse_yaml(path, SPEC_EXAMPLE).unwrap();
        assert_eq!(def.name, "Simple Build Pipeline");
        assert_eq!(def.description.as_deref(), Some("Build, test, and deploy"));
        assert_eq!((def.kind, def.path.as_path()), (DefinitionKind::Yaml, path));
        assert_eq!(def.phases, ["build", "test", "deploy"]);
        let environment = serde_json::json!({"type": "string", "enum": ["dev", "staging", "production"]});
        let schema = serde_json::json!({
            "type": "object",
            "properties": {"environment": environment},
            "required": ["environment"],
        });
        assert_eq!(def.args_schema, Some(schema));
        let ids: Vec<_> = def.steps.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["install-deps", "build-app", "run-tests", "deploy"]);
        let expected = StepConfig {
            id: "deploy".into(),
            name: "Deploy".into(),
            phase: "deploy".into(),
            kind: Some(StepKind::Script),
            command: Some("pnpm deploy --env {{ args.environment }}".into()),
            location: Some(Location {
                file: path.into(),
                line: 37,
                column: 5,
            }),
            ..StepConfig::default()
        };
        assert_eq!(def.steps[3], expected);
        assert_eq!(def.steps[0].location.as_ref().map(|l| l.line), Some(19));
    }

    #[test]
    fn parses_agent_step_with_env_timeout_and_continue_on_error() {
        let src = r#"name: review
timeout: 1h30m
phases: [build, review]
steps:
  - id: build
    phase: build
    type: script
    command: true
    cwd: "{{ args.dir }}"
    env: {CI: true, JOBS: 4, LABEL: "run {{ args.dir }}", EMPTY: ''}
    timeout: 90
    continueOnError: true
  - id: review.1
    phase: review
    type: agent
    agent: claude
    permission: plan
    timeout: 2.5s
    prompt: |
      Review the build: {{ steps.build.status }}
"#;
        let def = parse_yaml(Path::new("r.yaml"), src).unwrap();
        assert_eq!(def.timeout_ms, Some(5_400_000));
        let build = &def.steps[0];
        assert_eq!((build.name.as_str(), build.command.as_deref()), ("build", Some("true")));
        assert_eq!(build.cwd.as_deref(), Some("{{ args.dir }}"));
        let env: Vec<_> = build.env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let label = ("LABEL", "run {{ args.dir }}");
        assert_eq!(env, [("CI", "true"), ("EMPTY", ""), ("JOBS", "4"), label]);
        assert_eq!((build.timeout_ms, build.continue_on_error), (Some(90_000), true));
        let review = &def.steps[1];
        assert_eq!(review.kind, Some(StepKind::Agent));
        assert_eq!(review.agent.as_deref(), Some("claude"));
        assert_eq!(review.permission.as_deref(), Some("plan"));
        assert_eq!(review.timeout_ms, Some(2_500));
        let prompt = "Review the build: {{ steps.build.status }}\n";
        assert_eq!(review.prompt.as_deref(), Some(prompt));
        assert_eq!((review.command.as_ref(), review.continue_on_error), (None, false));
    }

    #[test]
    fn top_level_errors() {
        let keys = "unknown key 'stepz' (expected one of: name, description, argsSchema, phases, \
                    steps, timeout)";
        assert_error(&format!("{HEAD}stepz: 1\n"), 5, 1, keys);
        assert_errors(
            r"
            3:6 | name: t\nphases: [a\nsteps: x | YAML syntax error: 
            1:1 | - a | a workflow file must be a mapping, found a list
            1:1 | # no content | the file is empty
            5:1 | $name: u | duplicate key 'name' (first at line 1)
            5:10 | $timeout: 5x | 'timeout': invalid duration '5x'
            5:13 | $argsSchema: [a] | 'argsSchema' (a JSON Schema of type object) must be a
            6:9 | $argsSchema:\n  type: string | argsSchema type must be 'object'
            3:8 | name: t\nphases: [a]\nsteps: [] | non-empty list of steps, found an empty list
            3:1 | name: t\nphases: [a]\nsteps: | 'steps' must be a non-empty list of steps
            ",
        );
        let no_name = HEAD.replace("name: t\n", "");
        assert_error(&no_name, 1, 1, "the workflow is missing required key 'name'");
        let list_name = HEAD.replace("name: t", "name: [t]");
        assert_error(&list_name, 1, 7, "'name' must be a string, found a list");
        let phases = |list: &str| HEAD.replace("[build, test]", list);
        let not_list = "'phases' must be a non-empty list of names, found";
        assert_error(&phases("build"), 2, 9, &format!("{not_list} 'build'"));
        assert_error(&phases("[]"), 2, 9, &format!("{not_list} an empty list"));
        let twice = "duplicate phase 'build' (first at line 2)";
        assert_error(&phases("[build, test, build]"), 2, 23, twice);
    }

    #[test]
    fn step_errors() {
        let keys = "unknown key 'comand' in step 'b' (expected one of: id, name, phase, type, \
                    command, cwd, prompt, agent, permission, env, timeout, continueOnError)";
        let src = "- {id: b, phase: build, type: script, command: x, comand: y}";
        assert_error(&format!("{HEAD}{src}"), 5, 51, keys);
        // Each step is `- {...}` on line 5, so its `{` is column 3.
        assert_errors(
            r"
            5:3 | $- {id: b, phase: build} | step 'b' is missing required key 'type'
            5:3 | $- {phase: build, type: script, command: x} | step 2 is missing required key 'id'
            5:3 | $- {id: b, phase: build, type: script} | missing required key 'command'
            5:3 | $- {id: b, phase: build, type: agent, agent: codex} | required key 'prompt'
            5:3 | $- {id: b, phase: build, type: agent, prompt: p} | missing required key 'agent'
            5:3 | $- just text | step 2 must be a mapping, found 'just text'
            5:8 | $- {id: b c, phase: build, type: script, command: x} | step id 'b c' contains ' '
            5:8 | $- {id: a, phase: build, type: script, command: x} | duplicate step id 'a' (first
            5:8 | $- {id: 7, phase: build, type: script, command: x} | 'id' must be a string, found
            5:18 | $- {id: b, phase: deploy, type: script, command: x} | uses phase 'deploy'
            5:31 | $- {id: b, phase: build, type: function} | function steps need a TypeScript
            5:31 | $- {id: b, phase: build, type: shell} | unknown step type 'shell' (expected
            5:48 | $- {id: b, phase: build, type: script, command: [x]} | 'command' must be a string
            5:51 | $- {id: b, phase: build, type: script, command: x, prompt: p} | 'prompt' applies
            5:56 | $- {id: b, phase: build, type: agent, prompt: p, agent: gpt} | agent 'gpt' is not
            ",
        );
        let agent = "$- {id: b, phase: build, type: agent, prompt: p, agent: codex";
        let script = "$- {id: b, phase: build, type: script, command: x";
        let cases = [
            format!("5:63 | {agent}, cwd: /}} | 'cwd' applies to script steps, but step 'b' is an"),
            format!("5:75 | {agent}, permission: all}} | permission 'all' is not one of default, p"),
            format!("5:56 | {script}, env: [A]}} | 'env' (names to values) must be a mapping, found"),
            format!("5:60 | {script}, env: {{A: [1]}}}} | 'env A' must be a string, found a list"),
            format!("5:57 | {script}, env: {{1A: x}}}} | invalid env name '1A'"),
            format!("5:60 | {script}, timeout: 0}} | 'timeout': invalid duration '0': must be gre"),
            format!("5:68 | {script}, continueOnError: yes}} | 'continueOnError' must be true or"),
            format!("5:51 | {script}, prompt: p}} | but step 'b' is a script step"),
        ];
        assert_errors(&cases.join("\n"));
    }

    #[test]
    fn template_errors_are_located_at_the_value() {
        let src = |step: &str| {
            let schema = "argsSchema: {properties: {env: {}}}\n";
            format!("{schema}{HEAD}- id: b\n  phase: test\n  type: script\n  {step}\n")
        };
        let arg = "unknown argument 'target' in {{ args.target }}: the argsSchema declares env";
        assert_error(&src("command: deploy {{ args.target }}"), 9, 12, arg);
        let later = "{{ steps.c.data }} refers to step 'c', which does not run before this step";
        assert_error(&src("command: x\n  cwd: '{{ steps.c.data }}'"), 10, 8, later);
        let root = "unknown name 'env' in {{ env.HOME }}";
        assert_error(&src("command: x\n  env: {A: '{{ env.HOME }}'}"), 10, 12, root);
        assert_error(&src("command: |\n    echo {{ args.env"), 10, 5, "unclosed {{");
        let prompt = "- {id: c, phase: test, type: agent, agent: codex, prompt: '{{ steps.b.data }}'}";
        assert_error(&format!("{HEAD}{prompt}\n"), 5, 59, "refers to step 'b'");
    }

    #[test]
    fn reports_every_problem_in_order() {
        let src = "name: t\nphases: [build]\nextra: 1\nsteps:\n- id: a\n  phase: nope\n  type: x\n";
        let found: Vec<_> = errors(src).into_iter().map(|(l, c, _)| (l, c)).collect();
        assert_eq!(found, [(3, 1), (6, 10), (7, 9)]);
    }
}
