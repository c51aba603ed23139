//! Which directories may become projects: `/`, system directories and the data directory
//! never; outside `--project-root` never; and refusals that depend on the disk say nothing
//! about what exists there or whose it is.

use serde_json::json;

use crate::server_util::Server;
use crate::util::*;

/// The refusal's message with the path typed taken out, to compare two refusals.
fn message_without(body: &serde_json::Value, path: &str) -> String {
    body["error"]["message"].as_str().unwrap().replace(path, "<path>")
}

async fn register(s: &Server, token: &str, path: &str) -> (u16, serde_json::Value) {
    s.post(token, "/projects", json!({ "name": "p", "path": path })).await
}

#[tokio::test]
async fn the_root_and_system_directories_are_refused_by_name() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    for path in [
        "/",
        "/etc",
        "/usr/lib",
        "/var/lib",
        "/root",
        "/proc/self",
        "/lib64",
        "/srv/../etc",
    ] {
        let (status, body) = register(&s, &ann, path).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_body")),
            "{path}: {body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("path: ") && message.contains("system directory"),
            "{path}: {message}"
        );
    }
    let (_, list) = s.get(&ann, "/projects").await;
    assert_eq!(list["data"], json!([]), "nothing was registered");
}

#[tokio::test]
async fn missing_files_data_dir_links_out_and_taken_directories_get_one_message() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let bob = s.user("bob@example.com", false);
    let (_, taken) = s.project(&ann, "alpha", &[]).await;
    let top = s.sb.dir.path();
    std::fs::write(top.join("a-file"), "x").unwrap();
    std::os::unix::fs::symlink("/etc", top.join("to-etc")).unwrap();
    let refused = [
        top.join("no-such-dir"),
        top.join("a-file"),
        top.join("to-etc"),
        s.sb.data_dir(),
        s.sb.data_dir().parent().unwrap().to_path_buf(),
        taken.clone(),
    ];
    let mut messages = Vec::new();
    for path in &refused {
        let path = path.to_str().unwrap();
        let (status, body) = register(&s, &bob, path).await;
        assert_eq!(status, 400, "{path}: {body}");
        messages.push(message_without(&body, path));
    }
    assert!(
        messages[0].starts_with("path: <path> cannot be a project"),
        "{}",
        messages[0]
    );
    for (path, message) in refused.iter().zip(&messages) {
        assert_eq!(message, &messages[0], "{} answers differently", path.display());
    }
    let (_, list) = s.get(&bob, "/projects").await;
    assert_eq!(list["data"], json!([]));
}

#[tokio::test]
async fn with_project_roots_only_directories_under_them_are_accepted() {
    let sb = Sandbox::new();
    let root = sb.dir.path().join("root");
    let outside = sb.dir.path().join("outside");
    for dir in [root.join("inside"), outside.clone()] {
        std::fs::create_dir_all(dir).unwrap();
    }
    std::os::unix::fs::symlink(&outside, root.join("escape")).unwrap();
    // A root that is a symlink is accepted by the name it was given.
    let linked = sb.dir.path().join("linked");
    std::os::unix::fs::symlink(&root, &linked).unwrap();
    let root_arg = root.to_str().unwrap().to_string();
    let linked_arg = linked.to_str().unwrap().to_string();
    let s = Server::start_with(sb, &["--project-root", "/opt", "--project-root", &linked_arg]).await;
    let ann = s.user("ann@example.com", false);
    let (status, body) = register(&s, &ann, &format!("{linked_arg}/inside")).await;
    assert_eq!(
        (status, body["data"]["path"].as_str()),
        (201, Some(format!("{root_arg}/inside").as_str())),
        "{body}"
    );

    let (status, body) = register(&s, &ann, &format!("{root_arg}/inside")).await;
    assert_eq!(status, 201, "{body}");
    let outside = outside.to_str().unwrap();
    let (status, body) = register(&s, &ann, outside).await;
    let message = body["error"]["message"].as_str().unwrap();
    assert_eq!(status, 400, "{body}");
    assert!(
        message.contains("outside the server's project roots") && message.contains(&root_arg),
        "{message}"
    );
    let escape = format!("{root_arg}/escape");
    let (status, body) = register(&s, &ann, &escape).await;
    assert_eq!(status, 400, "a link out of the root is refused: {body}");
    let message = message_without(&body, &escape);
    assert!(
        message.starts_with("path: <path> cannot be a project") && message.contains(&root_arg),
        "{message}"
    );
}

#[tokio::test]
async fn project_roots_come_from_the_environment_too_and_must_exist() {
    let sb = Sandbox::new();
    let root = sb.dir.path().join("root");
    std::fs::create_dir_all(root.join("a")).unwrap();
    std::fs::create_dir_all(sb.dir.path().join("b")).unwrap();
    let missing = sb.run(&["serve", "--bind", "127.0.0.1:0", "--project-root", "/no/such/root"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("/no/such/root"), "{}", stderr(&missing));

    let mut cmd = sb.cmd(&["serve", "--bind", "127.0.0.1:0"]);
    cmd.env("WORKFLOW_ENGINE_PROJECT_ROOTS", format!("/opt:{}", root.display()));
    let s = Server::spawn(sb, cmd);
    let ann = s.user("ann@example.com", false);
    let (status, body) = register(&s, &ann, root.join("a").to_str().unwrap()).await;
    assert_eq!(status, 201, "{body}");
    let (status, _) = register(&s, &ann, s.sb.dir.path().join("b").to_str().unwrap()).await;
    assert_eq!(status, 400);
}
