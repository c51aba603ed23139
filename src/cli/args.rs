//! The command line's flags and subcommands, as clap parses them (`cli::dispatch` runs them).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use super::{approve, budget, secret, signal};
use crate::subprocess::confine::Mode;

#[derive(Parser, Debug)]
#[command(
    name = "workflow-engine",
    version,
    about = "Durable TypeScript and YAML workflows for AI-agent work"
)]
pub struct Cli {
    /// Where the database lives (one for every project).
    #[arg(long, global = true, env = "WORKFLOW_ENGINE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL to keep runs in (`postgres://user:pass@host/db`) instead of SQLite in the
    /// data directory: every node of a cluster (`serve` on several machines) names the same.
    #[arg(
        long,
        global = true,
        env = "DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
    /// Agent CLI and webhook settings (YAML); default: `config.yaml` in the data directory, if present.
    #[arg(long, global = true, env = "WORKFLOW_ENGINE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How long loading a TypeScript workflow may take before it fails (e.g. 10s, 500ms).
    #[arg(long, global = true, env = "WORKFLOW_ENGINE_LOAD_TIMEOUT", value_name = "DURATION",
          default_value = "10s", value_parser = parse_load_timeout)]
    pub load_timeout: std::time::Duration,
    /// Where runs' git worktrees are made (`workspace: { isolation: "worktree" }`); default
    /// `<data-dir>/worktrees`. Never inside a project's working tree.
    #[arg(long, global = true, env = "WORKFLOW_ENGINE_WORKTREE_DIR", value_name = "DIR")]
    pub worktree_dir: Option<std::path::PathBuf>,
    /// The most memory a workflow's JS may use, in MB; past it the run fails with a message.
    #[arg(long, global = true, env = crate::js::protocol::WORKER_MEMORY_ENV, value_name = "MB",
          default_value_t = crate::js::protocol::DEFAULT_WORKER_MEMORY_MB,
          value_parser = clap::value_parser!(u64).range(16..=1 << 20))]
    pub worker_memory_mb: u64,
    #[command(subcommand)]
    pub command: Command,
    /// Confine steps with Landlock: `required` refuses to run them unconfined, `best-effort`
    /// warns once and runs them unconfined on a kernel without Landlock.
    #[arg(long, global = true, env = "WORKFLOW_ENGINE_CONFINEMENT", value_enum, default_value_t = Mode::BestEffort)]
    pub confinement: Mode,
    /// A folder confined steps may also read (repeatable; the variable takes `:`-separated paths).
    #[arg(
        long,
        global = true,
        env = "WORKFLOW_ENGINE_CONFINE_READ",
        value_delimiter = ':',
        value_name = "DIR"
    )]
    pub confine_read: Vec<PathBuf>,
    /// A folder confined steps may also read and write (repeatable, `:`-separated).
    #[arg(
        long,
        global = true,
        env = "WORKFLOW_ENGINE_CONFINE_WRITE",
        value_delimiter = ':',
        value_name = "DIR"
    )]
    pub confine_write: Vec<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a workflow file (.ts or .yaml) to its end.
    ///
    /// At an approval gate or a signal wait it asks on a terminal (and notices a decision made
    /// elsewhere); off a terminal it prints how to continue and exits 5, the run left waiting.
    /// Sleeps are waited out.
    Run {
        file: PathBuf,
        /// An argument, typed by the args schema (`count=3` is a number when count is one).
        #[arg(long = "arg", value_name = "KEY=VALUE")]
        args: Vec<String>,
        /// All arguments as one JSON object (`--arg` values are applied on top).
        #[arg(long = "args", value_name = "JSON")]
        args_json: Option<String>,
        /// The project directory (default: the folder holding `.agent/` for files under
        /// `.agent/workflows/definitions/`, else the current directory).
        #[arg(long, value_name = "DIR")]
        project: Option<PathBuf>,
        /// Fail the run after this long (e.g. 30s, 10m); overrides the file's `timeout`.
        #[arg(long, value_name = "DURATION")]
        timeout: Option<String>,
        /// The run's name (default: the workflow's name).
        #[arg(long)]
        name: Option<String>,
        /// Spending limits of the run's agents, e.g. `usd=5,tokens=200000,duration=30m`;
        /// overrides the file's `budget`.
        #[arg(long, value_name = "LIMITS")]
        budget: Option<String>,
        #[command(flatten)]
        worktree: WorktreeFlags,
        /// Show script output as it streams.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Continue a paused, failed or crashed run; completed steps are not run again.
    ///
    /// A TypeScript run whose files changed since it started is refused, naming them, unless
    /// --use-current; a YAML run replays the definition it started with.
    Resume {
        run_id: String,
        #[arg(long, short)]
        verbose: bool,
        /// Run the workflow's current code against the results its earlier steps recorded
        /// (a warning is recorded on the run).
        #[arg(long)]
        use_current: bool,
        /// Forget the result of this step (its id) and of every step recorded after it, so
        /// that they run again ("I fixed the script, redo this step").
        #[arg(long, value_name = "STEP")]
        rerun: Option<String>,
    },
    /// Start a new run of a run's workflow (its file as it is now): again from the start, or
    /// with --from, reusing the results of the steps recorded before STEP and running STEP
    /// and everything after it.
    Rerun {
        run_id: String,
        /// The step (its id) to run for real from.
        #[arg(long, value_name = "STEP")]
        from: Option<String>,
        /// An argument, typed by the args schema, applied on top of the run's arguments (or
        /// of --args).
        #[arg(long = "arg", value_name = "KEY=VALUE")]
        args: Vec<String>,
        /// All arguments as one JSON object, instead of the run's.
        #[arg(long = "args", value_name = "JSON")]
        args_json: Option<String>,
        #[arg(long, short)]
        verbose: bool,
    },
    /// Decide a waiting approval gate (approve, request changes, reject), then continue the
    /// run here unless a server does.
    ///
    /// The terminal acts for this machine's operator: it may decide any gate, whatever its
    /// approvers, and the decision is recorded as `cli:$USER`.
    Approve(approve::ApproveArgs),
    /// Send a signal to a run: handed to the step waiting for it, or kept until one does;
    /// then continue the run here unless a server does.
    Signal(signal::SignalArgs),
    /// Set or raise a run's spending limits; a run a limit stopped then continues here unless
    /// a server does (with no limit given, a run a step's own limit stopped continues).
    Budget(budget::BudgetArgs),
    /// Show a run: status, phase, steps (status, attempt, duration) and comments.
    Show {
        run_id: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Print the output lines of a run's steps (all, in order, or one).
    Logs {
        run_id: String,
        /// Only this step (its id).
        step: Option<String>,
        /// Keep printing new lines until the step (or the run) ends.
        #[arg(long, short)]
        follow: bool,
        /// One JSON object per line, with its `step`.
        #[arg(long)]
        json: bool,
    },
    /// Pause a running run (driven by another terminal or a server) after its steps in flight;
    /// with --now, stop them (they run again on resume).
    Pause {
        run_id: String,
        /// Stop the steps in flight now (agents are interrupted first and save their session)
        /// instead of waiting for them; they run again on resume.
        #[arg(long)]
        now: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Cancel a run, killing its steps in flight; a pending or paused run is cancelled at once.
    Cancel {
        run_id: String,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Check workflow files without running them.
    Validate {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// List recent runs with their status and phase.
    Runs {
        #[arg(long, default_value_t = 20)]
        limit: i64,
    },
    /// Serve the HTTP API, the WebSocket and the web UI.
    Serve {
        /// Address to listen on (`127.0.0.1:0` picks a free port).
        #[arg(long, default_value = "127.0.0.1:4820", env = "WORKFLOW_ENGINE_BIND")]
        bind: String,
        /// Runs driven at once; more wait as `pending`.
        #[arg(long, default_value_t = crate::engine::scheduler::DEFAULT_MAX_CONCURRENT_RUNS, env = "WORKFLOW_ENGINE_MAX_RUNS")]
        max_concurrent_runs: usize,
        /// The built web UI to serve at `/` (default: `web/dist` of the source tree).
        #[arg(long, env = "WORKFLOW_ENGINE_WEB_DIR", value_name = "DIR")]
        web_dir: Option<PathBuf>,
        /// JS workers kept started for the next TypeScript run (0: start each when needed).
        #[arg(long, default_value_t = 1, env = "WORKFLOW_ENGINE_WARM_WORKERS")]
        warm_workers: usize,
        /// Only directories under one of these may be registered as projects (repeatable;
        /// the variable takes a `:`-separated list). Default: any but the system's.
        #[arg(
            long = "project-root",
            value_name = "DIR",
            env = "WORKFLOW_ENGINE_PROJECT_ROOTS",
            value_delimiter = ':'
        )]
        project_roots: Vec<PathBuf>,
        /// This node's address for the other nodes of a cluster (they fetch the files of the
        /// runs it drove from it): default `http://<the listen address>`.
        #[arg(long, env = "WORKFLOW_ENGINE_ADVERTISE_URL", value_name = "URL", value_parser = parse_advertise_url)]
        advertise_url: Option<String>,
        /// Labels of this node (`gpu,eu`), listed by `GET /api/nodes`: it takes the runs of a
        /// project that requires labels (its `node_labels`) only if it has every one of them.
        #[arg(long, env = "WORKFLOW_ENGINE_NODE_LABELS", value_name = "A,B", value_delimiter = ',', value_parser = parse_node_label)]
        node_labels: Vec<String>,
        /// This node's id, the same across its restarts (default: one generated at the first
        /// start and kept in `<data-dir>/node-id`). One process at a time may use an id.
        #[arg(long, env = "WORKFLOW_ENGINE_NODE_ID", value_name = "NAME")]
        node_id: Option<String>,
        /// How long a node's claim on a run lasts without renewal (renewed at a third of it);
        /// another node takes the run over once it has run out.
        #[arg(long, default_value_t = 30, env = "WORKFLOW_ENGINE_LEASE_SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
        lease_secs: u64,
        /// Runs driven at once by all the nodes on the database together (none by default:
        /// each node's --max-concurrent-runs only).
        #[arg(long, env = "WORKFLOW_ENGINE_CLUSTER_MAX_RUNS", value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
        cluster_max_runs: Option<u64>,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage a project's secrets (values from stdin, never printed).
    Secret {
        #[command(subcommand)]
        command: secret::SecretCommand,
    },
    /// Print the HTTP API's OpenAPI document (what `GET /api/openapi.json` serves), no server needed.
    Openapi,
    /// Print a token (JWT) for a user, for scripts and curl; or revoke tokens.
    #[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
    Token {
        #[arg(long, required = true)]
        email: Option<String>,
        /// How long the token is valid (e.g. 30m, 12h, 7d; at most 90d).
        #[arg(long, default_value = "7d", value_name = "DURATION")]
        ttl: String,
        #[command(subcommand)]
        command: Option<TokenCommand>,
    },
    /// Internal: a JS worker process (started by the engine).
    #[command(name = "__worker", hide = true)]
    Worker,
    /// Internal: stops what a killed engine's steps left running (`subprocess::guard`).
    #[command(name = "__guardian", hide = true)]
    Guardian { token: String },
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Create a user (non-interactive).
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password: String,
        #[arg(long)]
        name: Option<String>,
        /// Admins see every project.
        #[arg(long)]
        admin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Revoke one token, or with `--email` every token of that user issued so far.
    Revoke {
        #[arg(required_unless_present = "email", conflicts_with = "email")]
        token: Option<String>,
        #[arg(long)]
        email: Option<String>,
    },
}

fn parse_load_timeout(text: &str) -> Result<std::time::Duration, String> {
    crate::definition::duration::parse_duration(text).map(std::time::Duration::from_millis)
}

/// `run`'s workspace flags, over the file's `workspace:`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct WorktreeFlags {
    /// Run in a git worktree of its own (outside the project's working tree, on a new branch).
    #[arg(long, conflicts_with = "no_worktree")]
    pub worktree: bool,
    /// Run in the project checkout, whatever the file's `workspace:` says.
    #[arg(long)]
    pub no_worktree: bool,
    /// The ref or commit the worktree starts from (default HEAD).
    #[arg(long, value_name = "REF")]
    pub base: Option<String>,
    /// The worktree's branch: a name, or a template over {{ run.name }}, {{ run.shortId }}.
    #[arg(long, value_name = "NAME")]
    pub branch: Option<String>,
    /// Keep the worktree when the run ends: always, on-failure (default) or never.
    #[arg(long, value_name = "WHEN")]
    pub keep: Option<String>,
}

/// `--advertise-url`: an http(s) URL, kept without a trailing slash.
fn parse_node_label(s: &str) -> Result<String, String> {
    crate::store::projects::check_node_label(s).map(|()| s.to_string())
}

fn parse_advertise_url(s: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(s).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err("must be an http:// or https:// URL with a host, e.g. http://10.0.0.5:4820".into());
    }
    Ok(s.trim_end_matches('/').to_string())
}
