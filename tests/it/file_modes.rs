//! What the engine writes is for the server's user alone: the data directory 0700, the
//! database with its WAL and SHM 0600, a run's folder 0700 and its files 0600, whatever the
//! umask. Tests run as root, which ignores permission bits, so the modes are read.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use crate::server_util::Server;
use crate::util::*;

fn mode(path: &Path) -> u32 {
    let meta = std::fs::metadata(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    meta.permissions().mode() & 0o7777
}

/// `workflow-engine ARGS` under `umask 000`, the widest there is.
fn open_umask(sb: &Sandbox, args: &[&str]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "umask 000 && exec \"$0\" \"$@\"", BIN])
        .args(args)
        .current_dir(sb.project())
        .env("WORKFLOW_ENGINE_DATA_DIR", sb.data_dir());
    cmd
}

#[tokio::test]
async fn the_data_directory_and_database_are_private_and_older_open_ones_are_tightened() {
    let sb = Sandbox::new();
    if sb.on_pg() {
        eprintln!("skipped on PostgreSQL: the modes of the SQLite file, its WAL and its lock");
        return;
    }
    let data = sb.data_dir();
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    // An empty file is an empty SQLite database: as an older version would have left it.
    std::fs::write(data.join("workflow-engine.db"), "").unwrap();
    std::fs::write(data.join("jwt-secret"), "an older server's secret\n").unwrap();
    for file in ["workflow-engine.db", "jwt-secret"] {
        std::fs::set_permissions(data.join(file), std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let cmd = open_umask(&sb, &["serve", "--bind", "127.0.0.1:0"]);
    let s = Server::spawn(sb, cmd);
    let ann = s.user("ann@example.com", false);
    let (status, _) = s.get(&ann, "/projects").await;
    assert_eq!(status, 200, "the server wrote and reads its database");
    assert_eq!(mode(&data), 0o700, "data directory");
    for file in [
        "workflow-engine.db",
        "workflow-engine.db-wal",
        "workflow-engine.db-shm",
        "migrate.lock",
        "jwt-secret",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
}

#[tokio::test]
async fn a_fresh_data_directory_under_an_open_umask_is_private() {
    let sb = Sandbox::new();
    let out = open_umask(
        &sb,
        &[
            "user",
            "create",
            "--email",
            "a@example.com",
            "--password",
            "password1234",
        ],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(mode(&sb.data_dir()), 0o700);
    assert_eq!(mode(&sb.data_dir().join("workflow-engine.db")), 0o600);
}

#[test]
fn a_runs_folder_is_0700_and_its_files_0600() {
    let sb = Sandbox::new();
    let file = sb.write(
        "env.yaml",
        "name: Env\nphases: [p]\nsteps:\n  - id: say\n    phase: p\n    type: script\n    command: echo \"$TOKEN\"\n    env:\n      TOKEN: not-for-others\n",
    );
    let out = open_umask(&sb, &["run", file.to_str().unwrap(), "--args", "{}"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let run = sb.run_dir(&run_id(&out));
    assert_eq!(mode(&run), 0o700, "the run's folder");
    for file in [
        "args.json",
        "definition.json",
        "logs/say/input.json",
        "logs/say/events.jsonl",
        "logs/say/output.json",
        "logs/say/summary.md",
    ] {
        assert_eq!(mode(&run.join(file)), 0o600, "{file}");
    }
}
