//! `serve`: the server's start-up.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use crate::engine::discovery::Discovery;
use crate::engine::scheduler::Runner;
use crate::engine::Engine;
use crate::http::{self, auth::Auth, project_paths::ProjectPaths, ws::Hub, AppState};

/// `serve`'s flags, validated by clap.
pub struct ServeOptions {
    pub bind: String,
    pub max_runs: usize,
    pub web_dir: PathBuf,
    pub project_roots: Vec<PathBuf>,
}

pub async fn serve(engine: Engine, data_dir: &Path, options: ServeOptions) -> ExitCode {
    let ServeOptions {
        bind,
        max_runs,
        web_dir,
        project_roots,
    } = options;
    let project_paths = match ProjectPaths::new(&project_roots, data_dir) {
        Ok(p) => Arc::new(p),
        Err(e) => {
            eprintln!("error: --project-root: {e}");
            return ExitCode::from(2);
        }
    };
    let auth = match Auth::load(data_dir) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("error: cannot set up the token secret in {}: {e}", data_dir.display());
            return ExitCode::from(1);
        }
    };
    let listener = match tokio::net::TcpListener::bind(&bind).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: cannot listen on {bind}: {e}");
            return ExitCode::from(2);
        }
    };
    let addr = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| bind.to_string());
    engine.warm_workers();
    crate::accounts::prepare();
    let runner = Runner::new(engine.clone(), max_runs);
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
    if !state.web_dir.join("index.html").is_file() {
        tracing::warn!(
            dir = %state.web_dir.display(),
            "the web UI is not built (`{}`); serving the API only",
            http::web::BUILD_COMMAND
        );
    }
    // Reading definitions can take long (a big file, a module that loads slowly): the
    // rows from before serve meanwhile, and each file is refreshed as soon as it is read.
    tokio::spawn(async move { discovery.scan_all().await });
    match runner.recover().await {
        Ok(0) => {}
        Ok(n) => tracing::info!("resuming {n} runs left behind"),
        Err(e) => tracing::warn!(error = %e, "cannot look for runs to resume"),
    }
    println!("listening on http://{addr}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let shutdown = async {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    };
    match http::serve(listener, state, shutdown).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}
