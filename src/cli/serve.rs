//! `serve`: the server's start-up.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::engine::discovery::Discovery;
use crate::engine::scheduler::Runner;
use crate::engine::Engine;
use crate::http::{self, auth::Auth, project_paths::ProjectPaths, ws::Hub, AppState};
use crate::notify::{Notifier, WebhookConfig};
use crate::store::listen::Heard;
use crate::store::nodes::{NodeInfo, NodeRow};

/// `serve`'s flags, validated by clap.
pub struct ServeOptions {
    pub bind: String,
    pub max_runs: usize,
    pub web_dir: PathBuf,
    pub project_roots: Vec<PathBuf>,
    /// Where notifications go (`notify`), if anywhere.
    pub webhook: Option<WebhookConfig>,
    /// This node's address for the other nodes (`--advertise-url`); default from `bind`.
    pub advertise_url: Option<String>,
    /// This node's labels (`--node-labels`).
    pub node_labels: Vec<String>,
}

pub async fn serve(engine: Engine, data_dir: &Path, options: ServeOptions) -> ExitCode {
    let ServeOptions {
        bind,
        max_runs,
        web_dir,
        project_roots,
        webhook,
        advertise_url,
        node_labels,
    } = options;
    let (project_paths, auth, listener) = match prerequisites(&project_roots, data_dir, &bind).await {
        Ok(ready) => ready,
        Err(code) => return code,
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| bind.to_string());
    let notifier = webhook.map(|w| {
        let own = listener.local_addr().map(board_address).unwrap_or_default();
        if w.public_url.is_none() && listener.local_addr().is_ok_and(|a| a.ip().is_unspecified()) {
            tracing::warn!(
                "webhook: the run links point at {own}; set publicUrl (or WORKFLOW_ENGINE_PUBLIC_URL) to the board's address"
            );
        }
        Notifier::start(w, &own, engine.store().clone(), engine.events())
    });
    engine.warm_workers();
    crate::accounts::prepare();
    let runner = Runner::new(engine.clone(), max_runs);
    let address = advertise_url.unwrap_or_else(|| listener.local_addr().map(board_address).unwrap_or_default());
    if let Err(e) = refuse_a_live_twin(&engine).await {
        eprintln!("error: {e}");
        return ExitCode::from(1);
    }
    join_cluster(&engine, &runner, &address, &node_labels).await;
    let discovery = Arc::new(Discovery::new(engine.clone()));
    let state = AppState {
        hub: Hub::start(engine.clone()).await,
        engine,
        runner: runner.clone(),
        auth,
        discovery: discovery.clone(),
        data_dir: data_dir.to_path_buf(),
        project_paths,
        web_dir,
    };
    warn_if_no_web_ui(&state.web_dir);
    // Reading definitions can take long (a big file, a module that loads slowly): the
    // rows from before serve meanwhile, and each file is refreshed as soon as it is read.
    tokio::spawn(async move { discovery.scan_all().await });
    resume_runs_left_behind(&runner).await;
    // Waiting runs whose timer, decision or signal came (also while no server ran).
    let waker = tokio::spawn(crate::engine::waker::run_waker(state.engine.clone(), runner.clone()));
    let leaving = state.engine.clone();
    println!("listening on http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let served = http::serve(listener, state, shutdown_requested()).await;
    waker.abort();
    crate::engine::waker::leave(&leaving).await;
    if let Some(notifier) = notifier {
        notifier.drain(NOTIFY_GRACE).await;
    }
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// A second process under a node id whose process lives on this machine (the same data
/// directory, or the same `--node-id`) is refused: it would take that process's runs back
/// as if it had died. (A process on another machine cannot be told from one killed a moment
/// ago: one process at a time per node id is the operator's to keep.)
async fn refuse_a_live_twin(engine: &Engine) -> Result<(), String> {
    let process = match NodeRow::live_process(engine.store(), engine.node_id()).await {
        Ok(p) => p,
        Err(e) => return Err(format!("cannot read this node's row: {e}")),
    };
    match process {
        Some(p) if crate::engine::owner_is_alive_here(&p) => Err(format!(
            "node id {} is in use by process {p}, alive on this machine (another serve with the same \
             data directory or --node-id?)",
            engine.node_id()
        )),
        _ => Ok(()),
    }
}

/// Records this node (`engine_nodes`), and on PostgreSQL listens for the other nodes'
/// events and wake-ups and starts the reaper of runs whose lease ran out (`engine::cluster`).
async fn join_cluster(engine: &Engine, runner: &Runner, address: &str, labels: &[String]) {
    let hostname = crate::engine::hostname();
    let projects = crate::engine::cluster::projects_here(engine)
        .await
        .unwrap_or_else(|| "[]".into());
    let node = NodeInfo {
        id: engine.node_id(),
        process: engine.owner(),
        address,
        labels,
        hostname: &hostname,
        projects: &projects,
    };
    if let Err(e) = NodeRow::register(engine.store(), &node).await {
        tracing::warn!(error = %e, "cannot record this node");
    }
    if engine.store().is_lite() {
        return;
    }
    tracing::info!(node = %engine.node_id(), %address, "joined the cluster");
    let written = engine.events().written();
    let (kick, waker) = (runner.clone(), engine.clone());
    engine.store().listen(move |heard| match heard {
        Heard::Events(_) => written.notify_waiters(),
        Heard::Wake(_) => {
            kick.kick();
            waker.wake_soon();
        }
        Heard::Control(id) => waker.recheck_requests(Some(&id)),
        Heard::Connected => {
            written.notify_waiters();
            kick.kick();
            waker.wake_soon();
            waker.recheck_requests(None);
        }
    });
    tokio::spawn(crate::engine::cluster::run_reaper(engine.clone(), runner.wake_handle()));
}

/// How long a stopping server waits for notifications still being delivered.
const NOTIFY_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// The board's own address, for notifications' links when `publicUrl` is not set; a server
/// listening on every interface (`0.0.0.0`) is named by its loopback address.
fn board_address(addr: std::net::SocketAddr) -> String {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            std::net::SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            std::net::SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    format!("http://{addr}")
}

/// What the server cannot start without: the project roots, the token secret and its
/// port. Each failure is printed, and comes back as the exit code to end with (2 for a
/// bad flag, 1 for the data directory).
async fn prerequisites(
    project_roots: &[PathBuf],
    data_dir: &Path,
    bind: &str,
) -> Result<(Arc<ProjectPaths>, Auth, tokio::net::TcpListener), ExitCode> {
    let project_paths = match ProjectPaths::new(project_roots, data_dir) {
        Ok(p) => Arc::new(p),
        Err(e) => {
            eprintln!("error: --project-root: {e}");
            return Err(ExitCode::from(2));
        }
    };
    let auth = match Auth::load(data_dir) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: cannot set up the token secret in {}: {e}", data_dir.display());
            return Err(ExitCode::from(1));
        }
    };
    let listener = match tokio::net::TcpListener::bind(bind).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {bind}: {e}");
            return Err(ExitCode::from(2));
        }
    };
    Ok((project_paths, auth, listener))
}

fn warn_if_no_web_ui(web_dir: &Path) {
    if !web_dir.join("index.html").is_file() {
        tracing::warn!(
            dir = %web_dir.display(),
            "the web UI is not built (`{}`); serving the API only",
            http::web::BUILD_COMMAND
        );
    }
}

async fn resume_runs_left_behind(runner: &Runner) {
    match runner.recover().await {
        Ok(0) => {}
        Ok(n) => tracing::info!("resuming {n} runs left behind"),
        Err(e) => tracing::warn!(error = %e, "cannot look for runs to resume"),
    }
}

/// Resolves on Ctrl-C or SIGTERM (how a service manager stops the server).
async fn shutdown_requested() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
