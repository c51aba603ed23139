//! The step rules, written once: which fields each step type takes and what each value must
//! be. The step builder (`step_build`, for YAML and TypeScript steps), the agent step
//! (`agent_kind`, `permission`, `agent_prompt`) and the JS harness (`runtime-js/harness.js`,
//! through `runtime-js/step-rules.json`, which a test keeps equal to `rules_json`) all follow
//! this table.
//!
//! The two front-ends word their messages differently (YAML `'key' ... found x`, TypeScript
//! `"key" ... not x`), so the checks here return what is wrong and each front-end says it.

use serde_json::{json, Value};

use super::{StepConfig, StepKind};
use crate::domain::{AgentKind, OnInterrupt, Permission};

/// The most turns an agent step may be given (`maxTurns`).
pub const MAX_TURNS: u64 = 10_000;
/// The agent CLIs a step may name (`agent`).
pub const AGENTS: &[&str] = &AgentKind::WIRE;
/// An agent step's permission modes (`permission`).
pub const PERMISSIONS: &[&str] = &Permission::WIRE;
/// What an agent step interrupted by a crash does on resume (`onInterrupt`).
pub const ON_INTERRUPT: &[&str] = &OnInterrupt::WIRE;
/// The step types, as written in `type`.
pub const STEP_TYPES: &[StepKind] = &StepKind::ALL;
/// The step types `ctx.step` takes (a TypeScript workflow waits with `ctx.approval`,
/// `ctx.sleep` and `ctx.waitForSignal`).
pub const CTX_STEP_TYPES: &[StepKind] = &[Script, Agent, Function];
/// What an approval's timeout decides (`onTimeout`).
pub const ON_TIMEOUT: &[&str] = &["reject", "approve", "fail"];

/// Where a field may be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    Both,
    /// YAML only: a TypeScript step's id is `ctx.step`'s first argument.
    Yaml,
    /// TypeScript only: a function step's `fn` stays in the isolate.
    TypeScript,
}

/// One field a step config may have.
#[derive(Debug, Clone, Copy)]
pub struct FieldRule {
    pub key: &'static str,
    /// The step types the field belongs to.
    pub types: &'static [StepKind],
    /// Whether a step of another type is refused for having it. Both front-ends refuse the
    /// agent options on other steps; only YAML refuses `command`, `prompt`, `agent` and
    /// `permission` on the wrong step type (a TypeScript config object may carry them unused).
    pub refused_elsewhere: Refused,
    pub front: Front,
    /// What the value must be, as people read it.
    pub value: &'static str,
}

/// Which front-ends refuse a field on a step type it does not belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Nowhere,
    InYaml,
    Everywhere,
}

use Front::{Both, TypeScript, Yaml};
use Refused::{Everywhere, InYaml, Nowhere};
use StepKind::{Agent, Approval, Function, Script, Signal, Sleep};

/// The steps that run something.
const ALL: &[StepKind] = &[Script, Agent, Function];
/// Every step, the waits (approval, sleep, signal) too.
const EVERY: &[StepKind] = &[Script, Agent, Function, Approval, Sleep, Signal];
const AGENT: &[StepKind] = &[Agent];

/// Every step field, in the order the YAML parser lists them.
pub const STEP_FIELDS: &[FieldRule] = &[
    rule(
        "id",
        EVERY,
        Nowhere,
        Yaml,
        "letters, digits, '-', '_', '.' and ':', at most 200",
    ),
    rule("name", EVERY, Nowhere, Both, "a name without invisible characters"),
    rule("phase", EVERY, Nowhere, Both, "one of the workflow's phases"),
    rule(
        "type",
        EVERY,
        Nowhere,
        Both,
        "script, agent, approval, sleep or signal (and function in TypeScript)",
    ),
    rule("command", &[Script], InYaml, Both, "a shell command (required)"),
    rule("cwd", ALL, Nowhere, Both, "a directory of the project"),
    rule("prompt", AGENT, InYaml, Both, "the agent's task (required)"),
    rule("agent", AGENT, InYaml, Both, "claude, codex or gemini (required)"),
    rule(
        "permission",
        AGENT,
        InYaml,
        Both,
        "default, plan, acceptEdits or bypassPermissions",
    ),
    rule("model", AGENT, Everywhere, Both, "a model name, not empty"),
    rule(
        "maxTurns",
        AGENT,
        Everywhere,
        Both,
        "a whole number from 1 to MAX_TURNS",
    ),
    rule("outputSchema", AGENT, Everywhere, Both, "a JSON Schema object"),
    rule("onInterrupt", AGENT, Everywhere, Both, "restart or resume"),
    rule(
        "maxCostUsd",
        AGENT,
        Everywhere,
        Both,
        "a positive number of US dollars one go of the step may spend",
    ),
    rule(
        "maxTokens",
        AGENT,
        Everywhere,
        Both,
        "a positive whole number of tokens one go of the step may use",
    ),
    rule(
        "allowedTools",
        AGENT,
        Everywhere,
        Both,
        "a list of tool rules such as \"Bash(git diff:*)\" (claude, gemini)",
    ),
    rule(
        "disallowedTools",
        AGENT,
        Everywhere,
        Both,
        "a list of tool rules (claude)",
    ),
    rule(
        "appendSystemPrompt",
        AGENT,
        Everywhere,
        Both,
        "text added to the system prompt (claude)",
    ),
    rule(
        "mcpConfig",
        AGENT,
        Everywhere,
        Both,
        "a file relative to the workdir, or an MCP configuration object (claude)",
    ),
    rule(
        "addDirs",
        AGENT,
        Everywhere,
        Both,
        "a list of directories, relative to the workdir",
    ),
    rule(
        "extraArgs",
        AGENT,
        Everywhere,
        Both,
        "a list of arguments passed to the CLI as written",
    ),
    rule(
        "stallTimeout",
        AGENT,
        Everywhere,
        Both,
        "a duration the agent may print nothing for (default 15m)",
    ),
    rule("env", ALL, Nowhere, Both, "names to string values"),
    rule("timeout", EVERY, Nowhere, Both, "a duration: milliseconds or '1m 30s'"),
    rule("continueOnError", EVERY, Nowhere, Both, "true or false"),
    rule(
        "if",
        EVERY,
        Nowhere,
        Yaml,
        "a condition over args and earlier steps; when false the step is skipped",
    ),
    rule(
        "retry",
        ALL,
        Everywhere,
        Both,
        "{ attempts, initialDelay?, backoff?, maxDelay?, retryOn?, onExhausted? }",
    ),
    rule("fn", &[Function], Nowhere, TypeScript, "the function to run"),
    rule("title", &[Approval], InYaml, Both, "the gate's title (required)"),
    rule(
        "description",
        &[Approval],
        InYaml,
        Both,
        "Markdown for the person deciding",
    ),
    rule("approvers", &[Approval], InYaml, Both, "a list of emails"),
    rule("onTimeout", &[Approval], InYaml, Both, "reject, approve or fail"),
    rule("form", &[Approval], InYaml, Both, "a JSON Schema object"),
    rule("duration", &[Sleep], InYaml, Both, "a duration (required)"),
    rule("signal", &[Signal], InYaml, Both, "a signal name (required)"),
];

const fn rule(
    key: &'static str,
    types: &'static [StepKind],
    refused_elsewhere: Refused,
    front: Front,
    value: &'static str,
) -> FieldRule {
    FieldRule {
        key,
        types,
        refused_elsewhere,
        front,
        value,
    }
}

/// The fields written in `front` (YAML or TypeScript), in table order.
pub fn fields_in(front: Front) -> impl Iterator<Item = &'static FieldRule> {
    STEP_FIELDS.iter().filter(move |f| f.front == Both || f.front == front)
}

/// The fields the step builder reads for `front`: TypeScript's `fn` never reaches it (the
/// worker keeps it in the isolate), so a config that sends one is refused.
pub fn fields_read(front: Front) -> impl Iterator<Item = &'static FieldRule> {
    fields_in(front).filter(|f| f.key != "fn")
}

/// The fields `refuser` refuses on a step of type `kind`, which belong to other step types.
pub fn foreign_fields(kind: StepKind, refuser: Refused) -> impl Iterator<Item = &'static FieldRule> {
    STEP_FIELDS.iter().filter(move |f| {
        let refused = f.refused_elsewhere == Everywhere || f.refused_elsewhere == refuser;
        refused && !f.types.contains(&kind)
    })
}

/// Step ids name directories (`logs/{stepId}`), so they are kept to a safe alphabet.
pub fn validate_step_id(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("step id is empty".into());
    }
    if id.len() > 200 {
        return Err(format!("step id '{id}' is longer than 200 characters"));
    }
    if id == "." || id == ".." {
        return Err(format!("step id '{id}' is not allowed"));
    }
    match id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        Some(c) => Err(format!(
            "step id '{id}' contains '{c}': use letters, digits, '-', '_', '.' and ':' only"
        )),
        None => Ok(()),
    }
}

/// `maxTurns` as a number of turns, if it is a whole number from 1 to `MAX_TURNS`.
pub fn max_turns(value: &Value) -> Option<u32> {
    let turns = value.as_u64().filter(|n| (1..=MAX_TURNS).contains(n));
    turns.and_then(|n| u32::try_from(n).ok())
}

/// What is wrong with an agent step's `model`, which is passed to the CLI as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModelProblem {
    Empty,
    /// `{{ }}` in it: YAML does not render it, so it would reach the CLI as written.
    Placeholder,
}

pub fn model_problem(model: &str) -> Option<ModelProblem> {
    if model.trim().is_empty() {
        Some(ModelProblem::Empty)
    } else if model.contains("{{") {
        Some(ModelProblem::Placeholder)
    } else {
        None
    }
}

/// Why `schema` is not a JSON Schema that `jsonschema` compiles: ` at /path: problem`, or
/// `: problem` when it is about the whole schema.
pub fn output_schema_problem(schema: &Value) -> Option<String> {
    let e = jsonschema::validator_for(schema).err()?;
    let at = Some(e.instance_path.to_string()).filter(|p| !p.is_empty());
    let at = at.map(|p| format!(" at {p}")).unwrap_or_default();
    Some(format!("{at}: {e}"))
}

/// What is wrong with a gate's `approvers` entry: it must be an email.
pub fn approver_problem(approver: &str) -> Option<String> {
    let (user, domain) = approver.split_once('@').unwrap_or_default();
    let plain = !approver.chars().any(|c| c.is_whitespace() || c.is_control());
    if user.is_empty() || domain.is_empty() || !plain || approver.len() > 320 {
        return Some(format!("must be a list of emails, found {approver:?}"));
    }
    None
}

/// What is wrong with a signal's name: letters, digits, '-', '_', '.' and ':', at most 100.
pub fn signal_name_problem(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
    (!ok).then(|| format!("{name:?} is not a signal name: use letters, digits, '-', '_', '.' and ':', at most 100"))
}

/// An environment variable name a step may set: letters, digits and `_`, not starting with a
/// digit.
pub fn is_env_name(name: &str) -> bool {
    name.chars().next().is_some_and(|c| !c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The CLI an agent step names. The YAML parser refuses any other as it reads the file; a
/// TypeScript step's `agent` is first checked here, as the step runs, so a wrong one fails the
/// step rather than the run.
pub fn agent_kind(config: &StepConfig) -> Result<AgentKind, String> {
    let agent = config.agent.as_deref().unwrap_or("");
    AgentKind::parse(agent).ok_or_else(|| {
        let names = or_list(AGENTS.iter().map(|a| format!("\"{a}\"")));
        format!("unknown agent \"{agent}\": use {names}")
    })
}

/// The permission mode an agent step asks for (`default` when it names none), checked as
/// `agent_kind` is.
pub fn permission(config: &StepConfig) -> Result<Permission, String> {
    let Some(p) = config.permission.as_deref() else {
        return Ok(Permission::Default);
    };
    Permission::parse(p).ok_or_else(|| {
        let names = or_list(PERMISSIONS.iter().map(|p| p.to_string()));
        format!("unknown permission \"{p}\": use {names}")
    })
}

/// An agent step's prompt, which must say something.
pub fn agent_prompt(config: &StepConfig) -> Result<String, String> {
    let prompt = config.prompt.clone().unwrap_or_default();
    if prompt.trim().is_empty() {
        return Err("the agent step's prompt is empty".into());
    }
    Ok(prompt)
}

/// `a, b or c`.
pub fn or_list(words: impl IntoIterator<Item = String>) -> String {
    let words: Vec<String> = words.into_iter().collect();
    match words.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// Ids the JS worker's `stepIdProblem` must judge as `validate_step_id` does.
const SAMPLE_STEP_IDS: &[&str] = &["build", "a.b:c-d_e", "b c", ".", "..", "ünï", "a/b"];

/// The rules the JS worker enforces before a function step's `fn` runs, as
/// `runtime-js/step-rules.json` holds them.
pub fn rules_json() -> Value {
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let refused: Vec<&str> = foreign_fields(Function, Everywhere).map(|f| f.key).collect();
    let step_ids: Vec<Value> = SAMPLE_STEP_IDS
        .iter()
        .map(|id| json!({ "id": id, "problem": validate_step_id(id).err() }))
        .collect();
    json!({
        "stepTypes": CTX_STEP_TYPES.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
        // `ctx.step`'s fields: the waits' own are sent by `ctx.approval` and the others.
        "typescriptFields": fields_in(TypeScript)
            .filter(|f| f.types.iter().any(|k| CTX_STEP_TYPES.contains(k)))
            .map(|f| f.key)
            .collect::<Vec<_>>(),
        "agentOnly": refused,
        "onInterrupt": names(ON_INTERRUPT),
        "maxTurns": MAX_TURNS,
        "stepIds": step_ids,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULES_FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/runtime-js/step-rules.json");

    /// `runtime-js/step-rules.json` is what the JS worker's own checks are tested against
    /// (`runtime-js/test/step-rules.test.mjs`); it must say what this table says. Run with
    /// `UPDATE_STEP_RULES=1` to write it after changing the table.
    #[test]
    fn the_js_workers_copy_of_the_rules_is_current() {
        let expected = serde_json::to_string_pretty(&rules_json()).unwrap() + "\n";
        if std::env::var_os("UPDATE_STEP_RULES").is_some() {
            std::fs::write(RULES_FILE, &expected).unwrap();
        }
        let found = std::fs::read_to_string(RULES_FILE).unwrap_or_default();
        assert!(
            found == expected,
            "{RULES_FILE} is out of date: run `UPDATE_STEP_RULES=1 cargo test --lib step_rules` \
             and update runtime-js/harness.js to match"
        );
    }

    #[test]
    fn fields_per_front_end() {
        let yaml: Vec<_> = fields_in(Yaml).map(|f| f.key).collect();
        assert_eq!(yaml[0], "id");
        assert!(!yaml.contains(&"fn"));
        let script: Vec<_> = foreign_fields(Script, InYaml).map(|f| f.key).collect();
        let agent_keys = [
            "prompt",
            "agent",
            "permission",
            "model",
            "maxTurns",
            "outputSchema",
            "onInterrupt",
            "maxCostUsd",
            "maxTokens",
            "allowedTools",
            "disallowedTools",
            "appendSystemPrompt",
            "mcpConfig",
            "addDirs",
            "extraArgs",
            "stallTimeout",
        ];
        let wait_keys = [
            "title",
            "description",
            "approvers",
            "onTimeout",
            "form",
            "duration",
            "signal",
        ];
        assert_eq!(script, [&agent_keys[..], &wait_keys[..]].concat());
        let agent: Vec<_> = foreign_fields(Agent, InYaml).map(|f| f.key).collect();
        assert_eq!(agent, [&["command"][..], &wait_keys[..]].concat());
        let approval: Vec<_> = foreign_fields(Approval, InYaml).map(|f| f.key).collect();
        assert_eq!(
            approval,
            [&["command"][..], &agent_keys[..], &["retry", "duration", "signal"][..]].concat()
        );
    }

    #[test]
    fn value_rules() {
        assert_eq!(max_turns(&json!(1)), Some(1));
        assert_eq!(max_turns(&json!(10_001)), None);
        assert_eq!(max_turns(&json!(2.5)), None);
        assert_eq!(model_problem(" "), Some(ModelProblem::Empty));
        assert_eq!(model_problem("{{ args.m }}"), Some(ModelProblem::Placeholder));
        assert!(output_schema_problem(&json!({"type": "strin"}))
            .unwrap()
            .starts_with(" at /type: "));
        assert!(is_env_name("A_1") && !is_env_name("1A") && !is_env_name("A-B"));
    }

    #[test]
    fn an_agent_step_names_a_known_agent_and_permission() {
        let step = |agent: &str, permission: Option<&str>| StepConfig {
            agent: Some(agent.into()),
            permission: permission.map(str::to_string),
            ..StepConfig::default()
        };
        assert_eq!(agent_kind(&step("codex", None)), Ok(AgentKind::Codex));
        assert_eq!(
            agent_kind(&step("cursor", None)).unwrap_err(),
            "unknown agent \"cursor\": use \"claude\", \"codex\" or \"gemini\""
        );
        assert_eq!(permission(&step("codex", None)), Ok(Permission::Default));
        assert_eq!(
            permission(&step("codex", Some("all"))).unwrap_err(),
            "unknown permission \"all\": use default, plan, acceptEdits or bypassPermissions"
        );
        assert_eq!(
            agent_prompt(&step("codex", None)).unwrap_err(),
            "the agent step's prompt is empty"
        );
    }
}
