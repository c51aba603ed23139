//! The `workflow-engine` command line: raw flags become a validated command, then run.
//!
//! Exit codes: 0 completed, 1 failed, 2 invalid input (bad file, bad arguments) or a
//! refused request (unknown run or step, a run in a state that does not allow it),
//! 5 waiting (`EXIT_WAITING`: not on a terminal, the run stopped at an approval gate or a
//! signal wait and is left `waiting`; the commands that continue it are printed),
//! 130 interrupted (paused or cancelled with Ctrl-C, or Ctrl-C while the run waits).

mod accounts;
mod approve;
mod args;
mod attend;
mod budget;
mod key_wait;
mod logs;
mod node_id;
mod progress;
mod prompt;
mod rerun;
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

use clap::Parser;

use crate::agent::AgentsConfig;
use crate::definition::DefinitionKind;
use crate::engine::js_child::JsChild;
use crate::engine::{Engine, EngineConfig, EngineError};
use crate::notify::{Notifier, WebhookConfig};
use crate::store::listen::Heard;
use crate::store::Store;
use crate::subprocess::confine;

pub use args::{Cli, Command, TokenCommand, UserCommand};

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
    if matches!(
        cli.command,
        Command::Run { .. } | Command::Resume { .. } | Command::Rerun { .. }
    ) {
        listen_for_control(&engine);
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

/// A run driven in the terminal on PostgreSQL hears a pause or cancel sent from elsewhere (the
/// board, another terminal) by `NOTIFY` at once, as a `serve` node does, instead of at its
/// next read of the run's row (a second). Nothing to listen to on SQLite.
fn listen_for_control(engine: &Engine) {
    let waker = engine.clone();
    engine.store().listen(move |heard| match heard {
        Heard::Control(id) => waker.recheck_requests(Some(&id)),
        // Reconnected: a notification may have been missed.
        Heard::Connected => waker.recheck_requests(None),
        Heard::Events(_) | Heard::Wake(_) => {}
    });
}

/// The board's address in the links of notifications about runs driven in the terminal
/// (`run`, `resume`) when the configuration names none (`publicUrl`): `serve`'s default.
const TERMINAL_PUBLIC_URL: &str = "http://127.0.0.1:4820";

/// The database, the confinement of steps and the agents' settings, as the engine needs them;
/// and the webhook, if one is configured.
async fn open_engine(cli: &Cli, data_dir: &Path, exe: PathBuf) -> Result<(Engine, Option<WebhookConfig>), ExitCode> {
    let store = match Store::open_with(data_dir, cli.database_url.as_deref()).await {
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
    let (warm_workers, lease, cluster_max_runs) = match &cli.command {
        Command::Serve {
            warm_workers,
            lease_secs,
            cluster_max_runs,
            ..
        } => (
            *warm_workers,
            std::time::Duration::from_secs(*lease_secs),
            cluster_max_runs.map(|n| n as i64),
        ),
        _ => (0, crate::engine::DEFAULT_LEASE, None),
    };
    let (node_id, node_labels) = match &cli.command {
        Command::Serve {
            node_id, node_labels, ..
        } => match node_id::resolve(node_id.as_deref(), data_dir) {
            Ok(id) => (Some(id), node_labels.clone()),
            Err(e) => {
                eprintln!("error: {e}");
                return Err(ExitCode::from(2));
            }
        },
        _ => (None, Vec::new()),
    };
    let engine = Engine::new(
        store,
        EngineConfig {
            worker_exe: exe,
            agents,
            warm_workers,
            load_timeout: cli.load_timeout,
            worktree_dir: cli
                .worktree_dir
                .as_deref()
                .map(|d| std::path::absolute(d).unwrap_or(d.to_path_buf())),
            lease,
            cluster_max_runs,
            node_id,
            node_labels,
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
            budget,
            worktree,
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
                budget,
                worktree,
                verbose,
            };
            run_file::run(&engine, request).await
        }
        Command::Resume {
            run_id,
            verbose,
            use_current,
            rerun,
        } => {
            let options = crate::engine::control::ResumeOptions {
                use_current,
                rerun_step: rerun,
            };
            resume::resume(&engine, &run_id, verbose, &options).await
        }
        Command::Rerun {
            run_id,
            from,
            args,
            args_json,
            verbose,
        } => {
            let request = rerun::RerunArgs {
                from,
                args,
                args_json,
                verbose,
            };
            rerun::rerun(&engine, &run_id, request).await
        }
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
        Command::Budget(args) => budget::budget(&engine, args).await,
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
            advertise_url,
            node_labels,
            ..
        } => {
            let options = serve::ServeOptions {
                bind,
                max_runs: max_concurrent_runs,
                web_dir: web_dir.unwrap_or_else(crate::http::web::default_dir),
                project_roots,
                webhook,
                advertise_url,
                node_labels,
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
        | Command::Rerun { .. }
        | Command::Approve(_)
        | Command::Signal(_)
        | Command::Budget(_)
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
            | Command::Rerun { .. }
            | Command::Approve(_)
            | Command::Signal(_)
            | Command::Budget(_)
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
        | EngineError::Leased { .. }
        | EngineError::KeyBusy { .. }
        | EngineError::SourceChanged { .. } => ExitCode::from(2),
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
