//! Which executable each agent runs, with what extra arguments and environment, and how
//! often a rate-limited or overloaded agent is retried. From a YAML file (`--config`, else
//! `<data dir>/config.yaml` if it exists), then environment variables, which win:
//!
//! ```yaml
//! agents:
//!   claude:
//!     command: npx -y @anthropic-ai/claude-code@2.1.197   # or a list: [npx, -y, ...]
//!     args: [--bare]
//!     env: { ANTHROPIC_API_KEY: sk-... }
//!     passEnv: [AWS_*, HTTPS_PROXY]   # the server's variables this agent's steps also get
//! stepEnv: [HTTPS_PROXY, NPM_CONFIG_*]   # server variables every step gets (`subprocess::env`)
//! agentRetry:
//!   attempts: 3          # tries in all, for rate limits and overload
//!   initialDelay: 5s     # doubled after each try, up to maxDelay
//!   maxDelay: 1m
//! agentStallTimeout: 15m   # an agent that prints nothing this long is stopped (`stalled`)
//! ```
//!
//! `WORKFLOW_ENGINE_CLAUDE_COMMAND`, `WORKFLOW_ENGINE_CODEX_COMMAND`,
//! `WORKFLOW_ENGINE_GEMINI_COMMAND`, `WORKFLOW_ENGINE_<AGENT>_ARGS` (each shell-quoted words or a
//! JSON list: see [`super::words`]), `WORKFLOW_ENGINE_AGENT_ATTEMPTS`,
//! `WORKFLOW_ENGINE_AGENT_RETRY_DELAY`, `WORKFLOW_ENGINE_AGENT_STALL_TIMEOUT`.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use super::AgentKind;

/// How one agent's CLI is started.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentCommand {
    /// Program and leading arguments: `["claude"]`, `["npx", "-y", "@openai/codex@0.169.0"]`.
    pub command: Vec<String>,
    /// Added after the driver's own arguments' program, before them.
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    /// Names (or `PREFIX*`) of the server's variables this agent's steps get, beyond its
    /// credentials (`AgentKind::credential_env`) and the common step environment.
    pub pass_env: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    /// Tries in all (1 = no retry).
    pub attempts: u32,
    pub initial_delay: Duration,
    pub max_delay: Duration,
    /// Each wait is the one before times this.
    pub backoff: f64,
    /// The failure classes retried (`FailureKind` names); None: rate limits and overload.
    pub retry_on: Option<Vec<String>>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 3,
            initial_delay: Duration::from_secs(5),
            max_delay: Duration::from_secs(60),
            backoff: 2.0,
            retry_on: None,
        }
    }
}

impl RetryPolicy {
    /// The wait before try `next` (2, 3, ...).
    pub fn delay_before(&self, next: u32) -> Duration {
        crate::definition::retry::backoff_delay(self.initial_delay, self.backoff, self.max_delay, next)
    }

    /// Whether a try that failed this way is tried again (tries and time allowing). A try
    /// the engine stopped is never.
    pub fn retries(&self, kind: super::classify::FailureKind) -> bool {
        use super::classify::FailureKind;
        match &self.retry_on {
            _ if kind == FailureKind::Cancelled => false,
            None => kind.retryable(),
            Some(list) => list.iter().any(|k| k == kind.as_str()),
        }
    }

    /// A step's own `retry` policy (`retryOn` as written, else the default classes).
    pub fn from_spec(spec: &crate::definition::retry::RetrySpec) -> RetryPolicy {
        RetryPolicy {
            attempts: spec.attempts,
            initial_delay: Duration::from_millis(spec.initial_delay_ms),
            max_delay: Duration::from_millis(spec.max_delay_ms),
            backoff: spec.backoff,
            retry_on: spec
                .retry_on
                .as_ref()
                .map(|l| l.iter().filter_map(|v| v.as_str().map(str::to_string)).collect()),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgentsConfig {
    commands: HashMap<&'static str, AgentCommand>,
    pub retry: RetryPolicy,
    /// `stepEnv`: the server's variables every step gets (`crate::subprocess::env`).
    pub step_env: Vec<String>,
    /// `agentStallTimeout`: how long an agent step's CLI may print nothing (a step's own
    /// `stallTimeout` wins).
    pub stall_timeout: Duration,
}

impl Default for AgentsConfig {
    fn default() -> Self {
        let commands = AgentKind::ALL
            .iter()
            .map(|k| {
                let command = AgentCommand {
                    command: vec![k.default_program().to_string()],
                    args: Vec::new(),
                    env: BTreeMap::new(),
                    pass_env: Vec::new(),
                };
                (k.as_str(), command)
            })
            .collect();
        AgentsConfig {
            commands,
            retry: RetryPolicy::default(),
            step_env: Vec::new(),
            stall_timeout: super::stall::DEFAULT_STALL_TIMEOUT,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileConfig {
    #[serde(default)]
    agents: BTreeMap<String, FileAgent>,
    #[serde(default)]
    agent_retry: Option<FileRetry>,
    #[serde(default)]
    step_env: Vec<String>,
    #[serde(default)]
    agent_stall_timeout: Option<String>,
    /// The board's address and the webhook: `crate::notify::config` reads them.
    #[serde(default, rename = "publicUrl")]
    _public_url: Option<serde::de::IgnoredAny>,
    #[serde(default, rename = "notifications")]
    _notifications: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileAgent {
    command: Option<Words>,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    pass_env: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Words {
    Line(String),
    List(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct FileRetry {
    attempts: Option<u32>,
    initial_delay: Option<String>,
    max_delay: Option<String>,
}

impl AgentsConfig {
    pub fn command(&self, kind: AgentKind) -> &AgentCommand {
        &self.commands[kind.as_str()]
    }

    /// The file (if any), then the environment.
    pub fn load(file: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<AgentsConfig, String> {
        let mut config = AgentsConfig::default();
        if let Some(file) = file {
            let text =
                std::fs::read_to_string(file).map_err(|e| format!("cannot read config {}: {e}", file.display()))?;
            config
                .apply_file(&text)
                .map_err(|e| format!("{}: {e}", file.display()))?;
        }
        config.apply_env(env)?;
        Ok(config)
    }

    fn apply_file(&mut self, text: &str) -> Result<(), String> {
        if text.trim().is_empty() {
            return Ok(());
        }
        let file: FileConfig = serde_yaml::from_str(text).map_err(|e| e.to_string())?;
        for (name, agent) in file.agents {
            let kind = AgentKind::parse(&name)
                .ok_or_else(|| format!("agents.{name}: unknown agent (expected claude, codex or gemini)"))?;
            let entry = self.commands.get_mut(kind.as_str()).expect("every agent has an entry");
            if let Some(words) = agent.command {
                entry.command = match words {
                    Words::Line(line) => split_words(&line, &format!("agents.{name}.command"))?,
                    Words::List(list) => list,
                };
                if entry.command.is_empty() {
                    return Err(format!("agents.{name}.command: is empty"));
                }
            }
            entry.args = agent.args;
            entry.env = agent.env;
            entry.pass_env = agent.pass_env;
        }
        self.step_env = file.step_env;
        if let Some(d) = file.agent_stall_timeout {
            self.set_stall_timeout(&d, "agentStallTimeout")?;
        }
        if let Some(retry) = file.agent_retry {
            self.set_retry(
                retry.attempts,
                retry.initial_delay.as_deref(),
                retry.max_delay.as_deref(),
                "agentRetry.",
            )?;
        }
        Ok(())
    }

    fn apply_env(&mut self, env: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
        for kind in AgentKind::ALL {
            let upper = kind.as_str().to_ascii_uppercase();
            let entry = self.commands.get_mut(kind.as_str()).expect("every agent has an entry");
            let var = format!("WORKFLOW_ENGINE_{upper}_COMMAND");
            if let Some(line) = env(&var).filter(|l| !l.trim().is_empty()) {
                entry.command = split_words(&line, &var)?;
            }
            let var = format!("WORKFLOW_ENGINE_{upper}_ARGS");
            if let Some(line) = env(&var) {
                entry.args = split_words(&line, &var)?;
            }
        }
        let attempts = match env("WORKFLOW_ENGINE_AGENT_ATTEMPTS") {
            Some(a) => Some(
                a.trim()
                    .parse()
                    .map_err(|_| format!("WORKFLOW_ENGINE_AGENT_ATTEMPTS: '{a}' is not a whole number"))?,
            ),
            None => None,
        };
        if let Some(d) = env("WORKFLOW_ENGINE_AGENT_STALL_TIMEOUT") {
            self.set_stall_timeout(&d, "WORKFLOW_ENGINE_AGENT_STALL_TIMEOUT")?;
        }
        let delay = env("WORKFLOW_ENGINE_AGENT_RETRY_DELAY");
        self.set_retry(attempts, delay.as_deref(), None, "WORKFLOW_ENGINE_AGENT_")
    }

    fn set_stall_timeout(&mut self, text: &str, source: &str) -> Result<(), String> {
        let ms = crate::definition::duration::parse_duration(text).map_err(|e| format!("{source}: {e}"))?;
        if ms == 0 {
            return Err(format!("{source}: must be longer than 0"));
        }
        self.stall_timeout = Duration::from_millis(ms);
        Ok(())
    }

    fn set_retry(
        &mut self,
        attempts: Option<u32>,
        initial: Option<&str>,
        max: Option<&str>,
        prefix: &str,
    ) -> Result<(), String> {
        if let Some(a) = attempts {
            if a == 0 {
                return Err(format!("{prefix}attempts: must be at least 1"));
            }
            self.retry.attempts = a;
        }
        let parse = |s: &str, field: &str| {
            crate::definition::duration::parse_duration(s)
                .map(Duration::from_millis)
                .map_err(|e| format!("{prefix}{field}: {e}"))
        };
        if let Some(d) = initial {
            self.retry.initial_delay = parse(
                d,
                if prefix.starts_with("WORKFLOW") {
                    "RETRY_DELAY"
                } else {
                    "initialDelay"
                },
            )?;
        }
        if let Some(d) = max {
            self.retry.max_delay = parse(d, "maxDelay")?;
        }
        Ok(())
    }
}

/// The words of a command line written as one string, or an error naming where it was written.
fn split_words(line: &str, source: &str) -> Result<Vec<String>, String> {
    super::words::split(line).map_err(|e| format!("{source}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_then_the_environment() {
        let mut c = AgentsConfig::default();
        assert_eq!(c.command(AgentKind::Codex).command, ["codex"]);
        c.apply_file(
            "agents:\n  claude:\n    command: npx -y @anthropic-ai/claude-code@2.1.197\n    args: [--bare]\n    env: { A: b }\n    passEnv: [AWS_*]\n  gemini:\n    command: [/opt/gemini, --debug]\nagentRetry:\n  attempts: 5\n  initialDelay: 100ms\nstepEnv: [A, B_*]\n",
        )
        .unwrap();
        assert_eq!(
            c.command(AgentKind::Claude).command,
            ["npx", "-y", "@anthropic-ai/claude-code@2.1.197"]
        );
        assert_eq!(c.command(AgentKind::Claude).args, ["--bare"]);
        assert_eq!(c.command(AgentKind::Claude).env["A"], "b");
        assert_eq!(c.command(AgentKind::Claude).pass_env, ["AWS_*"]);
        assert_eq!(c.command(AgentKind::Gemini).command, ["/opt/gemini", "--debug"]);
        assert_eq!(c.retry.attempts, 5);
        assert_eq!(c.stall_timeout, Duration::from_secs(15 * 60));
        assert_eq!(c.step_env, ["A", "B_*"]);
        assert_eq!(c.retry.delay_before(2), Duration::from_millis(100));
        assert_eq!(c.retry.delay_before(4), Duration::from_millis(400));
        let env = |k: &str| match k {
            "WORKFLOW_ENGINE_CLAUDE_COMMAND" => Some("/usr/local/bin/claude".to_string()),
            "WORKFLOW_ENGINE_AGENT_ATTEMPTS" => Some("1".to_string()),
            _ => None,
        };
        c.apply_env(&env).unwrap();
        assert_eq!(c.command(AgentKind::Claude).command, ["/usr/local/bin/claude"]);
        assert_eq!(c.retry.attempts, 1);
        let env = |k: &str| match k {
            "WORKFLOW_ENGINE_CODEX_COMMAND" => Some("'/opt/my tools/codex'".to_string()),
            "WORKFLOW_ENGINE_CODEX_ARGS" => Some(r#"["-c", "model_reasoning_effort=\"low\""]"#.to_string()),
            "WORKFLOW_ENGINE_GEMINI_ARGS" => Some(String::new()),
            _ => None,
        };
        c.apply_env(&env).unwrap();
        assert_eq!(c.command(AgentKind::Codex).command, ["/opt/my tools/codex"]);
        assert_eq!(
            c.command(AgentKind::Codex).args,
            ["-c", r#"model_reasoning_effort="low""#]
        );
        assert!(c.command(AgentKind::Gemini).args.is_empty());
    }

    #[test]
    fn mistakes_are_named() {
        let err = |text: &str| AgentsConfig::default().apply_file(text).unwrap_err();
        assert!(
            err("agents:\n  cursor: {}\n").contains("agents.cursor: unknown agent"),
            "{}",
            err("agents:\n  cursor: {}\n")
        );
        assert!(err("agents:\n  claude:\n    comand: x\n").contains("unknown field `comand`"));
        assert!(err("agents:\n  claude:\n    command: []\n").contains("agents.claude.command: is empty"));
        assert!(err("agentRetry:\n  attempts: 0\n").contains("agentRetry.attempts: must be at least 1"));
        assert!(err("agentRetry:\n  initialDelay: soon\n").contains("agentRetry.initialDelay"));
        assert!(err("agentStallTimeout: 0s\n").starts_with("agentStallTimeout: "));
        let mut c = AgentsConfig::default();
        c.apply_file("agentStallTimeout: 2m\n").unwrap();
        assert_eq!(c.stall_timeout, Duration::from_secs(120));
        assert_eq!(
            err("agents:\n  claude:\n    command: \"npx 'claude\"\n"),
            "agents.claude.command: unterminated single quote opened at character 5"
        );
        let env = |k: &str| (k == "WORKFLOW_ENGINE_CLAUDE_ARGS").then(|| "--x 'y".to_string());
        assert_eq!(
            AgentsConfig::default().apply_env(&env).unwrap_err(),
            "WORKFLOW_ENGINE_CLAUDE_ARGS: unterminated single quote opened at character 5"
        );
        let env = |k: &str| (k == "WORKFLOW_ENGINE_AGENT_ATTEMPTS").then(|| "many".to_string());
        assert!(AgentsConfig::default()
            .apply_env(&env)
            .unwrap_err()
            .contains("'many' is not a whole number"));
    }
}
