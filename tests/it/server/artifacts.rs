//! Artifacts and comments over a real socket: uploads streamed to the run's folder, names
//! made safe, the size limit, downloads, attachments, and who may see what.

use std::path::{Path, PathBuf};

use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};
use workflow_engine::http::artifacts::MAX_UPLOAD_BYTES;

use crate::server_util::*;

/// A real 1x1 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\xdacd`\xf8_\x0f\x00\x02\x87\x01\x80\xebG\xba\x92\x00\x00\x00\x00IEND\xaeB`\x82";

/// A user's project with QUICK_YAML, and completed runs of it.
struct Fixture {
    s: Server,
    ann: String,
    project: String,
    def: String,
    dir: PathBuf,
}

impl Fixture {
    async fn new() -> Fixture {
        let s = Server::start().await;
        let ann = s.user("ann@example.com", false);
        let (project, dir) = s.project(&ann, "alpha", &[("quick.yaml", QUICK_YAML)]).await;
        let def = s.definition_id(&ann, &project, "Quick").await;
        Fixture {
            s,
            ann,
            project,
            def,
            dir,
        }
    }

    /// A completed run: (run id, its step row ids in order).
    async fn run(&self) -> (String, Vec<String>) {
        let body = json!({ "project_id": self.project, "workflow_definition_id": self.def, "args": { "who": "x" } });
        let (status, created) = self.s.post(&self.ann, "/workflow-executions", body).await;
        assert_eq!(status, 201, "{created}");
        let run = created["data"]["id"].as_str().unwrap().to_string();
        let data = self.s.wait_status(&self.ann, &run, &["completed"]).await;
        let steps = data["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect();
        (run, steps)
    }

    fn artifacts_dir(&self, run: &str) -> PathBuf {
        self.dir.join(".agent/workflows/executions").join(run).join("artifacts")
    }

    fn step_dir(&self, run: &str, step_key: &str) -> PathBuf {
        self.artifacts_dir(run).join(step_key)
    }

    /// A request with the token (none if empty).
    fn request(&self, token: &str, method: Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.s.http.request(method, self.s.url(path));
        if token.is_empty() {
            r
        } else {
            r.bearer_auth(token)
        }
    }

    async fn upload(&self, token: &str, run: &str, form: Form) -> (u16, Value) {
        let path = format!("/workflow-executions/{run}/artifacts");
        let r = self
            .request(token, Method::POST, &path)
            .multipart(form)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    async fn download(&self, token: &str, artifact: &Value) -> reqwest::Response {
        let path = format!("/artifacts/{}", artifact["id"].as_str().unwrap());
        self.request(token, Method::GET, &path).send().await.unwrap()
    }

    async fn comment(&self, run: &str, body: Value) -> (u16, Value) {
        self.s
            .post(&self.ann, &format!("/workflow-executions/{run}/comments"), body)
            .await
    }

    async fn attach(&self, artifact: &str, comment: &Value) -> (u16, Value) {
        let body = json!({ "comment_id": comment });
        self.send(
            &self.ann,
            Method::PATCH,
            &format!("/artifacts/{artifact}/attach"),
            Some(body),
        )
        .await
    }

    async fn send(&self, token: &str, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut r = self.request(token, method, path);
        if let Some(b) = body {
            r = r.json(&b);
        }
        let r = r.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}

/// An artifact's (name, mime_type, file_type).
fn kind(a: &Value) -> (&str, &str, &str) {
    let field = |k: &str| a["data"][k].as_str().unwrap_or_else(|| panic!("no {k}: {a}"));
    (field("name"), field("mime_type"), field("file_type"))
}

fn message(body: &Value) -> &str {
    body["error"]["message"]
        .as_str()
        .unwrap_or_else(|| panic!("no error: {body}"))
}

fn file_form(step: &str, name: &str, bytes: &[u8]) -> Form {
    Form::new()
        .text("step_id", step.to_string())
        .part("file", Part::bytes(bytes.to_vec()).file_name(name.to_string()))
}

/// Regular files in `dir` (none if it does not exist).
fn files_in(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn uploads_land_in_the_step_folder_and_download_intact() {
    let f = Fixture::new().await;
    let (run, steps) = f.run().await;
    let (status, body) = f.upload(&f.ann, &run, file_form(&steps[0], "shot.png", PNG)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(kind(&body), ("shot.png", "image/png", "image"));
    let a = &body["data"];
    assert_eq!(a["size_bytes"], PNG.len());
    assert_eq!(a["workflow_run_step_id"], steps[0].as_str());
    assert_eq!(a["workflow_comment_id"], Value::Null);
    assert_eq!(
        a["file_path"],
        format!(".agent/workflows/executions/{run}/artifacts/hello/shot.png")
    );
    assert_eq!(
        std::fs::read(f.dir.join(a["file_path"].as_str().unwrap())).unwrap(),
        PNG
    );

    let r = f.download(&f.ann, a).await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "image/png");
    assert_eq!(h["content-length"], PNG.len().to_string().as_str());
    assert_eq!(
        h["content-disposition"],
        "attachment; filename=\"shot.png\"; filename*=UTF-8''shot.png"
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), PNG);

    // The same name again is numbered, never overwritten.
    let (status, dup) = f
        .upload(&f.ann, &run, file_form(&steps[0], "shot.png", b"second"))
        .await;
    assert_eq!(status, 201, "{dup}");
    assert_eq!(dup["data"]["name"], "shot (1).png");
    assert!(dup["data"]["file_path"]
        .as_str()
        .unwrap()
        .ends_with("/artifacts/hello/shot (1).png"));
    assert_eq!(std::fs::read(f.step_dir(&run, "hello").join("shot.png")).unwrap(), PNG);

    // Directory parts are dropped: the file stays in the step's folder.
    let (status, evil) = f
        .upload(&f.ann, &run, file_form(&steps[1], "../../etc/passwd", b"x"))
        .await;
    assert_eq!(status, 201, "{evil}");
    assert_eq!(evil["data"]["name"], "passwd");
    assert_eq!(
        evil["data"]["file_path"],
        format!(".agent/workflows/executions/{run}/artifacts/check/passwd")
    );
    assert_eq!(files_in(&f.step_dir(&run, "check")), ["passwd"]);
    let (_, hidden) = f.upload(&f.ann, &run, file_form(&steps[1], "..", b"x")).await;
    assert!(!hidden["data"]["name"].as_str().unwrap().starts_with('.'), "{hidden}");

    // No extension: the bytes say PNG. `name` overrides the file name; `file_type` is kept.
    let (_, sniffed) = f.upload(&f.ann, &run, file_form(&steps[0], "blob", PNG)).await;
    assert_eq!(kind(&sniffed), ("blob", "image/png", "image"));
    let form = file_form(&steps[0], "upload.bin", b"export const x = 1;\n").text("name", "main.ts");
    let (_, code) = f.upload(&f.ann, &run, form).await;
    assert_eq!(kind(&code), ("main.ts", "text/typescript", "code"));
    let form = file_form(&steps[0], "notes.bin", b"...").text("file_type", "document");
    let (_, doc) = f.upload(&f.ann, &run, form).await;
    assert_eq!(kind(&doc), ("notes.bin", "application/octet-stream", "document"));

    // A name beyond ASCII downloads with an ASCII fallback and the exact name in filename*.
    let (_, uni) = f
        .upload(&f.ann, &run, file_form(&steps[0], "résumé \"v2\".pdf", b"%PDF-1.4"))
        .await;
    assert_eq!(uni["data"]["file_type"], "document");
    let r = f.download(&f.ann, &uni["data"]).await;
    assert_eq!(
        r.headers()["content-disposition"],
        "attachment; filename=\"r_sum_ _v2_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22v2%22.pdf"
    );

    // Bad forms: 400 naming the field, and no file left behind.
    let before = files_in(&f.step_dir(&run, "hello"));
    let cases: Vec<(Form, &str)> = vec![
        (Form::new().text("step_id", steps[0].clone()), "file"),
        (
            Form::new().part("file", Part::bytes(PNG.to_vec()).file_name("a.png")),
            "step_id",
        ),
        (file_form("no-such-step", "a.png", PNG), "step_id"),
        (
            file_form(&steps[0], "a.png", PNG).text("file_type", "movie"),
            "file_type",
        ),
        (file_form(&steps[0], "a.png", PNG).text("colour", "red"), "colour"),
    ];
    for (form, field) in cases {
        let (status, body) = f.upload(&f.ann, &run, form).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (400, Some("invalid_body")),
            "{field}: {body}"
        );
        assert!(message(&body).starts_with(field), "{body}");
    }
    let (other_run, other_steps) = f.run().await;
    let (status, body) = f.upload(&f.ann, &run, file_form(&other_steps[0], "a.png", PNG)).await;
    assert_eq!(status, 400, "a step of another run: {body}");
    assert_eq!(files_in(&f.step_dir(&run, "hello")), before);
    assert!(files_in(&f.step_dir(&other_run, "hello")).is_empty());
    assert_eq!(
        files_in(&f.artifacts_dir(&run)),
        ["check", "hello"],
        "no temporary files left"
    );
}

static ZEROS: [u8; 64 * 1024] = [0; 64 * 1024];

/// `total` zero bytes, made as they are sent.
fn zeros(total: u64) -> reqwest::Body {
    let chunk = ZEROS.len() as u64;
    let chunks = (0..total.div_ceil(chunk)).map(move |i| {
        let len = chunk.min(total - i * chunk) as usize;
        Ok::<_, std::io::Error>(axum::body::Bytes::from_static(&ZEROS[..len]))
    });
    reqwest::Body::wrap_stream(futures_util::stream::iter(chunks))
}

#[tokio::test]
async fn uploads_over_the_limit_are_refused_and_leave_nothing() {
    let f = Fixture::new().await;
    let (run, steps) = f.run().await;
    let big = |total: u64| {
        let part = Part::stream_with_length(zeros(total), total).file_name("big.bin");
        Form::new().text("step_id", steps[0].clone()).part("file", part)
    };
    // The server's memory before any upload: the uploads may add little to it.
    let vm = |field: &str| -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", f.s.child.id())).unwrap();
        let kb = status.lines().find_map(|l| l.strip_prefix(field)).unwrap();
        kb.trim().trim_end_matches("kB").trim().parse().unwrap()
    };
    let before_kb = vm("VmRSS:");
    let (status, body) = f.upload(&f.ann, &run, big(MAX_UPLOAD_BYTES + 1)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("payload_too_large")),
        "{body}"
    );
    let left = files_in(&f.artifacts_dir(&run));
    assert!(left.iter().all(|n| n == "hello"), "{left:?}");
    assert!(files_in(&f.step_dir(&run, "hello")).is_empty());
    let (_, data) = f.s.get(&f.ann, &format!("/workflow-executions/{run}")).await;
    assert_eq!(data["data"]["_count"]["artifacts"], 0);

    // Exactly the limit is fine.
    let (status, body) = f.upload(&f.ann, &run, big(MAX_UPLOAD_BYTES)).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["data"]["size_bytes"], MAX_UPLOAD_BYTES);
    let on_disk = std::fs::metadata(f.dir.join(body["data"]["file_path"].as_str().unwrap())).unwrap();
    assert_eq!(on_disk.len(), MAX_UPLOAD_BYTES);
    // Streamed, not buffered: the server's peak memory stays well under one upload.
    // (The growth of the peak over the server's size before, not the peak itself: the
    // binary's own size is not the upload's.)
    let peak_kb = vm("VmHWM:");
    assert!(
        peak_kb.saturating_sub(before_kb) * 1024 < MAX_UPLOAD_BYTES / 2,
        "peak resident memory {peak_kb} kB, {before_kb} kB before the uploads"
    );
}

#[tokio::test]
async fn comments_show_their_creator_and_attachments() {
    let f = Fixture::new().await;
    let (run, steps) = f.run().await;
    let path = format!("/workflow-executions/{run}/comments");
    let (status, c1) = f.comment(&run, json!({ "text": "Looks good" })).await;
    assert_eq!(status, 201, "{c1}");
    let c1 = &c1["data"];
    assert_eq!(
        (c1["comment_type"].as_str(), c1["workflow_run_step_id"].clone()),
        (Some("user"), Value::Null)
    );
    assert_eq!(c1["creator"]["email"], "ann@example.com");
    assert_eq!(c1["workflow_run_id"], run.as_str());
    let body = json!({ "text": "On hello", "step_id": steps[0], "comment_type": "user" });
    let (status, c2) = f.comment(&run, body).await;
    assert_eq!(status, 201, "{c2}");
    let c2 = &c2["data"];
    assert_eq!(
        (c2["comment_type"].as_str(), c2["workflow_run_step_id"].as_str()),
        (Some("user"), Some(steps[0].as_str()))
    );

    let (_, list) = f.s.get(&f.ann, &path).await;
    let texts: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts, ["Looks good", "On hello"], "oldest first");
    assert_eq!(list["data"][0]["creator"]["id"], c1["created_by"]);
    assert_eq!(list["data"][0]["artifacts"], json!([]));
    let (_, only) = f.s.get(&f.ann, &format!("{path}?step_id={}", steps[0])).await;
    assert_eq!(only["data"].as_array().unwrap().len(), 1);
    assert_eq!(only["data"][0]["id"], c2["id"]);
    let (status, _) = f.s.get(&f.ann, &format!("{path}?step_id=nope")).await;
    assert_eq!(status, 400);

    let bad = [
        (json!({ "text": "  " }), "text"),
        (json!({}), "text"),
        (json!({ "text": "x", "comment_type": "robot" }), "comment_type"),
        (json!({ "text": "x", "step_id": "nope" }), "step_id"),
        (json!({ "text": 3 }), "text"),
    ];
    for (body, field) in bad {
        let (status, err) = f.comment(&run, body).await;
        assert_eq!(status, 400, "{err}");
        assert!(message(&err).contains(field), "{err}");
    }

    // Attach, see it on the comment, detach.
    let (_, up) = f.upload(&f.ann, &run, file_form(&steps[0], "shot.png", PNG)).await;
    let artifact = up["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = f.attach(&artifact, &c1["id"]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["workflow_comment_id"], c1["id"]);
    let (_, list) = f.s.get(&f.ann, &path).await;
    assert_eq!(list["data"][0]["artifacts"][0]["id"], artifact.as_str());
    assert_eq!(list["data"][1]["artifacts"], json!([]));
    let (status, body) = f
        .send(&f.ann, Method::DELETE, &format!("/artifacts/{artifact}/detach"), None)
        .await;
    assert_eq!(
        (status, body["data"]["workflow_comment_id"].clone()),
        (200, Value::Null),
        "{body}"
    );
    let (_, list) = f.s.get(&f.ann, &path).await;
    assert_eq!(list["data"][0]["artifacts"], json!([]));

    // Only comments of the artifact's own run.
    let (other, _) = f.run().await;
    let (_, foreign) = f.comment(&other, json!({ "text": "elsewhere" })).await;
    for comment in [foreign["data"]["id"].clone(), json!("no-such-comment")] {
        let (status, body) = f.attach(&artifact, &comment).await;
        assert_eq!(status, 400, "{body}");
        assert!(message(&body).starts_with("comment_id"), "{body}");
    }
    let (status, _) = f.attach(&artifact, &json!(7)).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn another_users_runs_and_artifacts_are_not_found() {
    let f = Fixture::new().await;
    let bob = f.s.user("bob@example.com", false);
    let admin = f.s.user("root@example.com", true);
    let (run, steps) = f.run().await;
    let (_, up) = f.upload(&f.ann, &run, file_form(&steps[0], "shot.png", PNG)).await;
    let artifact = up["data"]["id"].as_str().unwrap().to_string();
    let (_, comment) = f.comment(&run, json!({ "text": "mine" })).await;
    let comment_id = comment["data"]["id"].clone();

    let calls = [
        (Method::GET, format!("/workflow-executions/{run}/comments"), None),
        (
            Method::POST,
            format!("/workflow-executions/{run}/comments"),
            Some(json!({ "text": "hi" })),
        ),
        (Method::GET, format!("/artifacts/{artifact}"), None),
        (
            Method::PATCH,
            format!("/artifacts/{artifact}/attach"),
            Some(json!({ "comment_id": comment_id })),
        ),
        (Method::DELETE, format!("/artifacts/{artifact}/detach"), None),
    ];
    for (method, path, body) in &calls {
        let (status, err) = f.send(&bob, method.clone(), path, body.clone()).await;
        assert_eq!(status, 404, "{method} {path}: {err}");
        let (status, _) = f.send("", method.clone(), path, body.clone()).await;
        assert_eq!(status, 401, "{method} {path} without a token");
    }
    let (status, _) = f.upload(&bob, &run, file_form(&steps[0], "x.png", PNG)).await;
    assert_eq!(status, 404);
    let (status, _) = f.upload("", &run, file_form(&steps[0], "x.png", PNG)).await;
    assert_eq!(status, 401);
    assert_eq!(
        files_in(&f.step_dir(&run, "hello")),
        ["shot.png"],
        "nothing written for them"
    );
    let (_, list) = f.s.get(&f.ann, &format!("/workflow-executions/{run}/comments")).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    // Admins see every project.
    assert_eq!(f.download(&admin, &up["data"]).await.status(), 200);
}

/// Signed links through the server: the link fetches the file without a token; a link without
/// a signature is a 401; a forged one (including one whose signature is not ASCII hex, which
/// once panicked the handler mid-character) a 403 that says why; and the server keeps serving.
#[tokio::test]
async fn signed_links_serve_the_file_and_refuse_forgeries() {
    let f = Fixture::new().await;
    let (run, steps) = f.run().await;
    let (_, body) = f.upload(&f.ann, &run, file_form(&steps[0], "shot.png", PNG)).await;
    let id = body["data"]["id"].as_str().unwrap().to_string();
    let (status, link) = f.s.get(&f.ann, &format!("/artifacts/{id}/link?ttl=60")).await;
    assert_eq!(status, 200, "{link}");
    let url = link["data"]["url"].as_str().unwrap().to_string();
    let fetch = |path: String| {
        let http = f.s.http.clone();
        let base = f.s.url("");
        async move {
            let r = http
                .get(format!("{}{}", base.trim_end_matches("/api"), path))
                .send()
                .await
                .expect("the server answers");
            let status = r.status().as_u16();
            (status, r.bytes().await.unwrap().to_vec())
        }
    };
    let (status, bytes) = fetch(url.clone()).await;
    assert_eq!((status, bytes.as_slice()), (200, PNG), "{url}");

    let (exp, sig) = url.split_once("?").unwrap().1.split_once('&').unwrap();
    let sig = sig.trim_start_matches("sig=");
    let mut forged = sig.to_string();
    forged.replace_range(0..2, if &sig[0..2] == "00" { "01" } else { "00" });
    // 62 ASCII characters and one two-byte one: 64 bytes, cut mid-character by a byte slice.
    let multibyte = format!("a{}{}", "%C3%A9", "0".repeat(61));
    for (path, want, says) in [
        (format!("/api/artifacts/{id}/content"), 401, "sign"),
        (
            format!("/api/artifacts/{id}/content?{exp}&sig={forged}"),
            403,
            "signature",
        ),
        (
            format!("/api/artifacts/{id}/content?{exp}&sig={multibyte}"),
            403,
            "signature",
        ),
        (
            format!("/api/artifacts/{id}/content?{exp}&sig=%2B{}", &sig[1..]),
            403,
            "signature",
        ),
        (
            format!("/api/artifacts/{id}/content?exp=99999999999&sig={sig}"),
            403,
            "",
        ),
    ] {
        let (status, body) = fetch(path.clone()).await;
        let text = String::from_utf8_lossy(&body);
        assert_eq!(status, want, "{path}: {text}");
        assert!(text.contains(says), "{path}: {text}");
    }
    let (status, _) = fetch(url).await;
    assert_eq!(status, 200, "the server still serves after the forgeries");
}

/// Responses are compressed for a client that accepts it, except files whose bytes are
/// compressed already: a video keeps its bytes and its `Content-Length`.
#[tokio::test]
async fn json_is_compressed_and_a_video_is_not() {
    let f = Fixture::new().await;
    let (run, steps) = f.run().await;
    let video: Vec<u8> = (0..4096u32).map(|i| (i % 7) as u8).collect();
    let (status, body) = f.upload(&f.ann, &run, file_form(&steps[0], "clip.mp4", &video)).await;
    assert_eq!(status, 201, "{body}");
    let id = body["data"]["id"].as_str().unwrap();
    let get = |path: String| {
        f.request(&f.ann, Method::GET, &path)
            .header("accept-encoding", "br, gzip")
            .send()
    };
    let r = get(format!("/artifacts/{id}")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers().get("content-encoding"), None, "{:?}", r.headers());
    assert_eq!(r.headers()["content-length"], video.len().to_string().as_str());
    assert_eq!(r.bytes().await.unwrap().as_ref(), video.as_slice());

    let r = get(format!("/workflow-executions/{run}")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-encoding"], "br", "{:?}", r.headers());
}
