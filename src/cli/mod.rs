//! The `workflow-engine` command line: raw flags become a validated command, then run.
//!
//! Exit codes: 0 completed, 1 failed, 2 invalid input (bad file, bad arguments) or a
//! refused request (unknown run or step, a run in a state that does not allow it),
//! 5 waiting (`EXIT_WAITING`: not on a terminal, the run stopped at an approval gate or a
//! signal wait and is left `waiting`; the commands that continue it are printed),
//! 130 interrupted (paused or cancelled with Ctrl-C, or Ctrl-C while the run waits).

mod accounts;
mod approve;
mod attend;
mod logs;
mod progress;
mod prompt;
mod resume;
mod run_file;
mod runs;
mod secret;
mod serve;
mod show;
mod signal;
mod steer;
mod wait_text;

/// The exit code of a run left waiting for a person or a signal (not on a terminal).
pub const EXIT_WAITING: u8 = 5;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::agent::AgentsConfig;
use crate::definition::DefinitionKind;
use crate::engine::js_child::JsChild;
use crate::engine::{Engine, EngineConfig, EngineError};
use crate::notify::{Notifier, WebhookConfig};
use crate::store::Store;
use crate::subprocess::confine::{self, Mode};

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
    /// Agent CLI and webhook settings (YAML); default: `config.yaml` in the data directory, if present.
    #[arg(long, global = true, env = "WORKFLOW_ENGINE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// How long loading a TypeScript workflow may take before it fails (e.g. 10s, 500ms).
    #[arg(long, global = true, env = "WORKFLOW_ENGINE_LOAD_TIMEOUT", value_name = "DURATION",
          default_value = "10s", value_parser = parse_load_timeout)]
    pub load_timeout: std::time::Duration,
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
        /// Show script output as it streams.
        #[arg(long, short)]
        verbose: bool,
    },
    /// Continue a paused, failed or crashed run; completed steps are not run again.
    Resume {
        run_id: String,
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

pub fn main() -> ExitCode {
    // Before any other thread exists, so that none has made an arena of its own.
    crate::sys::memory::limit_malloc_arenas();
    let cli = Cli::parse();
    if matches!(cli.command, Command::Worker) {
        if std::env::var_os(crate::js::protocol::WORKER_ENV).is_none() {
            eprintln!("error: __worker is started by the engine, not by hand");
            return ExitCode::from(2);
        }
        return crate::js::child::main(cli.worker_memory_mb);
    }
    // Workers inherit it: a `--worker-memory-mb` flag reaches them like the variable.
    // SAFETY (of the environment): no other thread exists yet.
    std::env::set_var(crate::js::protocol::WORKER_MEMORY_ENV, cli.worker_memory_mb.to_string());
    if let Command::Guardian { token } = &cli.command {
        return crate::subprocess::guard::main(token);
    }
    if matches!(cli.command, Command::Openapi) {
        return print_openapi();
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(dispatch(cli))
}

/// The default data directory: `$XDG_DATA_HOME/workflow-engine`, else
/// `~/.local/share/workflow-engine`.
pub fn default_data_dir() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_DATA_HOME").filter(|x| !x.is_empty()) {
        return PathBuf::from(x).join("workflow-engine");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    home.join(".local/share/workflow-engine")
}

async fn dispatch(cli: Cli) -> ExitCode {
    let data_dir = cli.data_dir.clone().unwrap_or_else(default_data_dir);
    let exe = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("workflow-engine"));
    // A TypeScript `run` needs a JS worker: it starts its runtime while the database opens.
    let early_child = match &cli.command {
        Command::Run { file, .. } if DefinitionKind::from_path(file) == Some(DefinitionKind::Code) => {
            JsChild::start(&exe, Path::new("/")).ok()
        }
        _ => None,
    };
    let (engine, webhook) = match open_engine(&cli, &data_dir, exe).await {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    if let Some(child) = early_child {
        engine.add_warm_worker(child);
    }
    // A run this process drives notifies (`run`, `resume`, and whatever command drives one);
    // `serve` starts its notifier once it knows its address.
    let (notifier, webhook) = match (&cli.command, webhook) {
        (Command::Serve { .. }, webhook) => (None, webhook),
        (_, Some(w)) => {
            let grace = w.timeout;
            let notifier = Notifier::start(w, TERMINAL_PUBLIC_URL, engine.store().clone(), engine.events());
            (Some((notifier, grace)), None)
        }
        (_, None) => (None, None),
    };
    let code = run_command(engine, &data_dir, cli.command, webhook).await;
    if let Some((notifier, grace)) = notifier {
        if !notifier.drain(grace).await {
            tracing::warn!(
                "webhook: {} notifications not delivered within {grace:?}; abandoned as the command ends",
                notifier.pending()
            );
        }
    }
    code
}

/// The board's address in the links of notifications about runs driven in the terminal
/// (`run`, `resume`) when the configuration names none (`publicUrl`): `serve`'s default.
const TERMINAL_PUBLIC_URL: &str = "http://127.0.0.1:4820";

/// The database, the confinement of steps and the agents' settings, as the engine needs them;
/// and the webhook, if one is configured.
async fn open_engine(cli: &Cli, data_dir: &Path, exe: PathBuf) -> Result<(Engine, Option<WebhookConfig>), ExitCode> {
    let store = match Store::open(data_dir).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(ExitCode::from(1));
        }
    };
    init_confinement(cli, data_dir)?;
    let config_file = cli
        .config
        .clone()
        .or_else(|| Some(data_dir.join("config.yaml")).filter(|f| f.is_file()));
    let agents = match AgentsConfig::load(config_file.as_deref(), &|k| std::env::var(k).ok()) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(ExitCode::from(2));
        }
    };
    let webhook = match WebhookConfig::load(config_file.as_deref(), &|k| std::env::var(k).ok()) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            return Err(ExitCode::from(2));
        }
    };
    crate::subprocess::env::configure(agents.step_env.clone());
    let warm_workers = match &cli.command {
        Command::Serve { warm_workers, .. } => *warm_workers,
        _ => 0,
    };
    let engine = Engine::new(
        store,
        EngineConfig {
            worker_exe: exe,
            agents,
            warm_workers,
            load_timeout: cli.load_timeout,
        },
    );
    Ok((engine, webhook))
}

/// The commands about runs: start, resume, check, list, show, follow and steer them.
async fn run_command(engine: Engine, data_dir: &Path, command: Command, webhook: Option<WebhookConfig>) -> ExitCode {
    match command {
        Command::Run {
            file,
            args,
            args_json,
            project,
            timeout,
            name,
            verbose,
        } => {
            let project = project.unwrap_or_else(|| run_file::project_for(&file));
            let request = run_file::RunRequest {
                file,
                args,
                args_json,
                project,
                timeout,
                name,
                verbose,
            };
            run_file::run(&engine, request).await
        }
        Command::Resume { run_id, verbose } => resume::resume(&engine, &run_id, verbose).await,
        Command::Validate { files } => run_file::validate(&engine, &files).await,
        Command::Runs { limit } => runs::list_runs(&engine, limit).await,
        Command::Show { run_id, json } => show::show(&engine, &run_id, json).await,
        Command::Logs {
            run_id,
            step,
            follow,
            json,
        } => {
            let request = logs::LogsRequest {
                run_id,
                step,
                follow,
                json,
            };
            logs::logs(&engine, request).await
        }
        Command::Approve(args) => approve::approve(&engine, args).await,
        Command::Signal(args) => signal::signal(&engine, args).await,
        Command::Pause { run_id, now, json } => steer::pause(&engine, &run_id, now, json).await,
        Command::Cancel { run_id, json } => steer::cancel(&engine, &run_id, json).await,
        other => service_command(engine, data_dir, other, webhook).await,
    }
}

/// The commands about the service: serve it, and manage its users, tokens and secrets.
async fn service_command(
    engine: Engine,
    data_dir: &Path,
    command: Command,
    webhook: Option<WebhookConfig>,
) -> ExitCode {
    match command {
        Command::Serve {
            bind,
            max_concurrent_runs,
            web_dir,
            project_roots,
            ..
        } => {
            let options = serve::ServeOptions {
                bind,
                max_runs: max_concurrent_runs,
                web_dir: web_dir.unwrap_or_else(crate::http::web::default_dir),
                project_roots,
                webhook,
            };
            serve::serve(engine, data_dir, options).await
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    password,
                    name,
                    admin,
                },
        } => accounts::create_user(&engine, &email, &password, name.as_deref(), admin).await,
        Command::Token {
            email,
            ttl,
            command: None,
        } => accounts::print_token(&engine, data_dir, email.as_deref().unwrap_or_default(), &ttl).await,
        Command::Token {
            command: Some(TokenCommand::Revoke { token, email }),
            ..
        } => accounts::revoke(&engine, data_dir, token.as_deref(), email.as_deref()).await,
        Command::Secret { command } => secret::main(engine.store(), command).await,
        Command::Worker | Command::Guardian { .. } | Command::Openapi => {
            unreachable!("handled before the runtime starts")
        }
        Command::Run { .. }
        | Command::Resume { .. }
        | Command::Approve(_)
        | Command::Signal(_)
        | Command::Validate { .. }
        | Command::Runs { .. }
        | Command::Show { .. }
        | Command::Logs { .. }
        | Command::Pause { .. }
        | Command::Cancel { .. } => unreachable!("run_command serves it"),
    }
}

/// Sets how steps are confined; warns (to stderr, the server's log) when commands that run
/// workflow code will run it unconfined, and refuses to start when that is not allowed.
fn init_confinement(cli: &Cli, data_dir: &Path) -> Result<(), ExitCode> {
    let settings = confine::Settings {
        mode: cli.confinement,
        data_dir: data_dir.to_path_buf(),
        read: cli.confine_read.clone(),
        write: cli.confine_write.clone(),
    };
    let runs_code = matches!(
        cli.command,
        Command::Run { .. }
            | Command::Resume { .. }
            | Command::Approve(_)
            | Command::Signal(_)
            | Command::Serve { .. }
            | Command::Validate { .. }
    );
    match confine::init(settings) {
        Ok(Some(warning)) if runs_code => tracing::warn!("{warning}"),
        Ok(_) => {}
        Err(e) if runs_code => {
            eprintln!("error: {e}");
            return Err(ExitCode::from(1));
        }
        Err(_) => {}
    }
    Ok(())
}

fn parse_load_timeout(text: &str) -> Result<std::time::Duration, String> {
    crate::definition::duration::parse_duration(text).map(std::time::Duration::from_millis)
}

pub(super) fn invalid(message: &str) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(2)
}

/// Prints an error; bad input (definition, arguments, unknown or finished run) is exit 2.
pub(super) fn report(e: EngineError) -> ExitCode {
    eprintln!("error: {e}");
    match e {
        EngineError::Definition(_)
        | EngineError::InvalidArgs(_)
        | EngineError::InvalidName(_)
        | EngineError::CommandTooLong(_)
        | EngineError::RunNotFound(_)
        | EngineError::NotResumable { .. }
        | EngineError::Leased { .. } => ExitCode::from(2),
        _ => ExitCode::from(1),
    }
}

/// `openapi`: the document on stdout. A reader that stops early (`openapi | head`) is no
/// error: the command has nothing else to do.
fn print_openapi() -> ExitCode {
    use std::io::Write;
    let doc = crate::http::document()
        .to_pretty_json()
        .expect("the document serialises");
    match writeln!(std::io::stdout().lock(), "{doc}") {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot print the OpenAPI document: {e}");
            ExitCode::FAILURE
        }
        _ => ExitCode::SUCCESS,
    }
}
