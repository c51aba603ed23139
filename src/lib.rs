//! workflow-engine: durable TypeScript and YAML workflows for AI-agent work.
//!
//! - `domain`: the vocabulary as types: run and step statuses, step kinds, comment and file
//!   types, agent CLIs and permission modes, the `StepResult`; pure, no IO.
//! - `definition`: a workflow file becomes a `WorkflowDefinition` (YAML parser, a TypeScript
//!   module's metadata and step configs, args schema, templates, durations); `step_rules` is
//!   the one table of step fields they and the JS worker follow.
//! - `engine`: creates runs and drives them; `engine::host` is the one step host both
//!   front-ends go through (memo, run, persist, emit); `engine::js_child` is its handle on
//!   the JS worker process of a TypeScript run.
//! - `js`: the JS worker process's side (`js::child`): one `JsRuntime` per run, the `ctx`
//!   ops, module loading, and the `protocol` both processes speak.
//! - `agent`: agent steps: one driver per CLI (Claude Code, Codex, Gemini), the runner that
//!   streams and stops them, failure classification and retries, their configuration.
//! - `subprocess`: the processes steps run in: script steps' shells, the environment and
//!   confinement (Landlock) every step process starts with, process groups, the guardian.
//! - `store`: the SQLite database (one file per table) and the per-run files.
//! - `accounts`: user accounts: the rules of a new one, password hashes and their check.
//! - `events`: what runs emit, as the spec's `workflow.*` events, and their journal.
//! - `http`: the API and WebSocket (`serve`): one route file per resource with its typed
//!   response bodies; one route list that both routes and builds the OpenAPI document.
//! - `notify`: webhook notifications (a run waiting for a person, failed, completed): a
//!   subscriber of the event bus, a bounded queue, signed POSTs retried with backoff.
//! - `cli`: the `workflow-engine` command line.
//! - `workspace`: a run's git worktree (made, found again, removed) and the clean-env `git`.
//! - `sys`: the system calls below it all (the vfork spawn, memory, signals, ext4's `+T`),
//!   each behind a safe function.

pub mod accounts;
pub mod agent;
pub mod cli;
pub mod definition;
pub mod domain;
pub mod engine;
pub mod events;
pub mod http;
pub mod js;
pub mod notify;
pub mod store;
pub mod subprocess;
pub mod sys;
#[doc(hidden)]
pub mod testing;
pub mod workspace;
