//! Requests too large for the server are refused with 413 in our error format, and the
//! server goes on as before.

use serde_json::{json, Value};

use crate::server_util::Server;

/// A little over the 2 MiB a JSON body may hold.
const OVER_LIMIT: usize = (2 << 20) + 1024;

async fn post_raw(s: &Server, token: Option<&str>, path: &str, body: reqwest::Body) -> (u16, Value) {
    let mut request = s
        .http
        .post(s.url(path))
        .header("content-type", "application/json")
        .body(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let r = request.send().await.unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

/// A 400 `invalid_body` whose message starts with `start`.
fn assert_invalid_body(status: u16, body: &Value, start: &str) {
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_body")),
        "{body}"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with(start), "{message}");
}

/// A JSON object whose `field` holds `size` bytes of text.
fn big_body(field: &str, size: usize) -> String {
    json!({ field: "x".repeat(size) }).to_string()
}

#[tokio::test]
async fn oversized_json_bodies_get_413_payload_too_large_on_every_route() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "alpha", &[]).await;
    let cases = [
        (None, "/auth/login", big_body("email", OVER_LIMIT)),
        (Some(&ann), "/projects", big_body("name", OVER_LIMIT)),
        (
            Some(&ann),
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": "x", "args": { "a": "x".repeat(OVER_LIMIT) } })
                .to_string(),
        ),
        (
            Some(&ann),
            "/workflow-executions/nope/comments",
            big_body("text", OVER_LIMIT),
        ),
    ];
    for (token, path, body) in cases {
        let (status, answer) = post_raw(&s, token.map(String::as_str), path, body.into()).await;
        assert_eq!(
            (status, answer["error"]["code"].as_str()),
            (413, Some("payload_too_large")),
            "{path}: {answer}"
        );
        assert!(
            answer["error"]["message"].as_str().unwrap().contains("2 MiB"),
            "{answer}"
        );
    }
    let (status, _) = s.get(&ann, "/projects").await;
    assert_eq!(status, 200, "the server goes on");
}

#[tokio::test]
async fn a_streamed_body_without_a_length_is_cut_off_at_the_limit_too() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let text = big_body("name", OVER_LIMIT).into_bytes();
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = text.chunks(64 * 1024).map(|c| Ok(c.to_vec())).collect();
    let body = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
    let (status, answer) = post_raw(&s, Some(&ann), "/projects", body).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (413, Some("payload_too_large")),
        "{answer}"
    );
}

#[tokio::test]
async fn a_body_just_under_the_limit_is_read_and_judged_on_its_content() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let body = json!({ "name": "x".repeat((2 << 20) - 1024), "path": "relative" }).to_string();
    let (status, answer) = post_raw(&s, Some(&ann), "/projects", body.into()).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["error"]["message"], "path: must be an absolute path", "{answer}");
}

/// An echo of `who`, whose `env.WHO` holds it too.
const ECHO_YAML: &str = "name: Echo\nphases: [p]\nargsSchema:\n  type: object\n  properties:\n    who: { type: string }\n    env: { type: string }\nsteps:\n  - id: first\n    phase: p\n    type: script\n    command: \"true\"\n  - id: hello\n    phase: p\n    type: script\n    command: echo {{ args.who }}\n    env:\n      WHO: \"{{ args.env }}\"\n";

#[tokio::test]
async fn an_argument_too_long_for_a_command_line_is_refused_before_the_run_exists() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "alpha", &[("echo.yaml", ECHO_YAML)]).await;
    let definition = s.definition_id(&ann, &project, "Echo").await;
    let start = |args: Value| json!({ "project_id": project, "workflow_definition_id": definition, "args": args });
    let big = "x".repeat(200 * 1024);
    for (args, says) in [
        (json!({ "who": big }), "step \"hello\": the command is 201 KiB"),
        (
            json!({ "who": "ann", "env": big }),
            "step \"hello\": env.WHO is 201 KiB",
        ),
    ] {
        let (status, body) = s.post(&ann, "/workflow-executions", start(args)).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_args")),
            "{body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with("the arguments make a command line too long to start"),
            "{message}"
        );
        let problem = body["error"]["details"][0].as_str().unwrap();
        assert!(
            problem.starts_with(says) && problem.contains("MAX_ARG_STRLEN"),
            "{problem}"
        );
    }
    let (_, runs) = s.get(&ann, "/workflow-executions").await;
    assert_eq!(runs["data"], json!([]), "no run was created");
    let (status, body) = s
        .post(
            &ann,
            "/workflow-executions",
            start(json!({ "who": "x".repeat(100 * 1024) })),
        )
        .await;
    assert_eq!(status, 201, "100 KiB fits: {body}");
}

#[tokio::test]
async fn project_and_run_names_with_invisible_characters_get_400_naming_the_field() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let dir = s.sb.dir.path().join("beta");
    std::fs::create_dir(&dir).unwrap();
    let (status, body) = s
        .post(&ann, "/projects", json!({ "name": "beta\u{202E}", "path": dir }))
        .await;
    assert_invalid_body(status, &body, "name: contains U+202E");
    let (project, _) = s.project(&ann, "alpha", &[("echo.yaml", ECHO_YAML)]).await;
    let definition = s.definition_id(&ann, &project, "Echo").await;
    let start = json!({ "project_id": project, "workflow_definition_id": definition, "name": "\u{2066}x", "args": {} });
    let (status, body) = s.post(&ann, "/workflow-executions", start).await;
    assert_invalid_body(status, &body, "name: contains U+2066");
    let (_, runs) = s.get(&ann, "/workflow-executions").await;
    assert_eq!(runs["data"], json!([]));
}
