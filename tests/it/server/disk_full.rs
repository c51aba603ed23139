//! A full disk: the server says so (507) and acknowledges nothing it did not record.
//!
//! The data directory is a small tmpfs mounted in a mount namespace of the server's own
//! (`unshare --mount`, as root), filled from inside that namespace with `nsenter`.

use std::process::Command;

use serde_json::json;

use crate::server_util::*;
use crate::util::*;

const QUICK: &str =
    "name: Quick\nphases: [p]\nsteps:\n  - id: one\n    phase: p\n    type: script\n    command: \"true\"\n";

/// Runs `script` inside the server's mount namespace.
fn in_namespace(pid: u32, script: &str) -> std::process::Output {
    Command::new("nsenter")
        .args(["-t", &pid.to_string(), "-m", "sh", "-c", script])
        .output()
        .expect("nsenter")
}

/// A user and a token, made by the CLI inside the namespace, where the database is.
fn user_in_namespace(s: &Server, email: &str) -> String {
    let cli = |args: &str| {
        let script = format!(
            "WORKFLOW_ENGINE_DATA_DIR='{}' '{BIN}' {args}",
            s.sb.data_dir().display()
        );
        let out = in_namespace(s.child.id(), &script);
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
    };
    cli(&format!("user create --email {email} --password password1234"));
    cli(&format!("token --email {email}")).trim().to_string()
}

#[tokio::test]
async fn a_full_disk_gets_507_and_no_run_is_acknowledged_that_was_not_recorded() {
    if crate::server_util::skip_on_pg(
        "the database is SQLite's file in the data directory's tmpfs; PostgreSQL's disk is the cluster's",
    ) {
        return;
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: mounting a small tmpfs needs root");
        return;
    }
    let sb = Sandbox::new();
    let data = sb.data_dir();
    std::fs::create_dir_all(&data).unwrap();
    let script = format!(
        "mount -t tmpfs -o size=6m tmpfs '{}' && exec \"$0\" serve --bind 127.0.0.1:0",
        data.display()
    );
    let mut cmd = Command::new("unshare");
    cmd.args(["--mount", "--propagation", "private", "sh", "-c", &script, BIN])
        .current_dir(sb.project())
        .env("WORKFLOW_ENGINE_DATA_DIR", &data);
    let s = Server::spawn(sb, cmd);
    let token = user_in_namespace(&s, "ann@example.com");
    let (project, _) = s.project(&token, "alpha", &[("quick.yaml", QUICK)]).await;
    let def = s.definition_id(&token, &project, "Quick").await;
    let create = || {
        s.post(
            &token,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def }),
        )
    };
    let (status, body) = create().await;
    assert_eq!(status, 201, "{body}");

    let fill = format!("cat /dev/zero > '{}/fill' 2>/dev/null; true", data.display());
    in_namespace(s.child.id(), &fill);
    let mut refused = 0;
    for _ in 0..5 {
        let (status, body) = create().await;
        match status {
            201 => {
                // Acknowledged: it must exist.
                let id = body["data"]["id"].as_str().unwrap();
                let (status, _) = s.get(&token, &format!("/workflow-executions/{id}")).await;
                assert_eq!(status, 200, "run {id} was acknowledged and is not there");
            }
            507 => {
                assert_eq!(body["error"]["code"], "insufficient_storage", "{body}");
                assert!(
                    body["error"]["message"].as_str().unwrap().contains("disk is full"),
                    "{body}"
                );
                refused += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(refused > 0, "a full disk refused nothing");

    in_namespace(s.child.id(), &format!("rm -f '{}/fill'", data.display()));
    let (status, body) = create().await;
    assert_eq!(status, 201, "space is back: {body}");
    let id = body["data"]["id"].as_str().unwrap();
    let (status, _) = s.get(&token, &format!("/workflow-executions/{id}")).await;
    assert_eq!(status, 200);
}
