//! The web UI served at `/` from a web directory: files with their types and cache policy,
//! client routes falling back to `index.html`, nothing outside the directory, the API's own
//! 404s, and a page that says how to build the UI when it is not built.

use std::path::{Path, PathBuf};

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::server_util::*;
use crate::util::*;

const INDEX: &str = "<!doctype html><html><body><div id=\"root\"></div><script type=\"module\" src=\"/assets/index-Ab12.js\"></script></body></html>\n";
const JS: &str = "console.log('app');\n";
const SECRET: &str = "top secret: not for the web\n";

/// A sandbox with `web/` (index, a hashed JS and CSS asset, a favicon, a symlink leading out)
/// and `secret.txt` beside it.
fn web_sandbox() -> (Sandbox, PathBuf) {
    let sb = Sandbox::new();
    let web = sb.dir.path().join("web");
    std::fs::create_dir_all(web.join("assets")).unwrap();
    std::fs::write(web.join("index.html"), INDEX).unwrap();
    std::fs::write(web.join("assets/index-Ab12.js"), JS).unwrap();
    std::fs::write(web.join("assets/index-Cd34.css"), "body { margin: 0 }\n").unwrap();
    std::fs::write(web.join("favicon.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"/>").unwrap();
    std::fs::write(sb.dir.path().join("secret.txt"), SECRET).unwrap();
    std::os::unix::fs::symlink(sb.dir.path().join("secret.txt"), web.join("leak.txt")).unwrap();
    (sb, web)
}

fn serve_web(sb: Sandbox, web: &Path) -> Server {
    let mut cmd = sb.cmd(&["serve", "--bind", "127.0.0.1:0"]);
    cmd.env("WORKFLOW_ENGINE_WEB_DIR", web);
    Server::spawn(sb, cmd)
}

async fn get(s: &Server, path: &str) -> reqwest::Response {
    s.http.get(format!("{}{path}", s.base)).send().await.unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

/// A request sent as written (no client normalising `..`): (status, whole response).
async fn raw_get(s: &Server, path: &str) -> (u16, String) {
    let addr = s.base.strip_prefix("http://").unwrap();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {text}"));
    (status, text)
}

#[tokio::test]
async fn the_index_and_assets_are_served_with_their_types_and_cache_policy() {
    let (sb, web) = web_sandbox();
    let s = serve_web(sb, &web);

    let r = get(&s, "/").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
    assert_eq!(header(&r, "cache-control"), "no-cache");
    let etag = header(&r, "etag").to_string();
    assert_eq!(r.text().await.unwrap(), INDEX);

    let r = get(&s, "/index.html").await;
    assert_eq!((r.status().as_u16(), header(&r, "cache-control")), (200, "no-cache"));

    // Revalidation: the same ETag gets a 304 without a body.
    let r = s
        .http
        .get(format!("{}/", s.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert!(r.bytes().await.unwrap().is_empty());

    let r = get(&s, "/assets/index-Ab12.js").await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/javascript; charset=utf-8");
    assert_eq!(header(&r, "cache-control"), "public, max-age=31536000, immutable");
    assert_eq!(header(&r, "x-content-type-options"), "nosniff");
    assert_eq!(r.text().await.unwrap(), JS);

    let r = get(&s, "/assets/index-Cd34.css").await;
    assert_eq!(header(&r, "content-type"), "text/css; charset=utf-8");
    let r = get(&s, "/favicon.svg").await;
    assert_eq!(
        (header(&r, "content-type"), header(&r, "cache-control")),
        ("image/svg+xml", "no-cache")
    );

    // HEAD: the headers without the body.
    let r = s
        .http
        .head(format!("{}/assets/index-Ab12.js", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/javascript; charset=utf-8");
    assert!(r.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn client_routes_fall_back_to_the_index_but_missing_assets_do_not() {
    let (sb, web) = web_sandbox();
    let s = serve_web(sb, &web);
    for path in ["/p/x/board", "/p/x/runs/0190-abc/steps/7", "/login", "/projects?x=1"] {
        let r = get(&s, path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8", "{path}");
        assert_eq!(header(&r, "cache-control"), "no-cache", "{path}");
        assert_eq!(r.text().await.unwrap(), INDEX, "{path}");
    }
    for path in ["/assets/index-Gone.js", "/assets", "/assets/"] {
        let r = get(&s, path).await;
        assert_eq!(r.status(), 404, "{path}: a missing hashed asset is not the index");
    }

    let r = s.http.post(format!("{}/p/x/board", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 405);
}

#[tokio::test]
async fn nothing_outside_the_web_directory_is_served() {
    let (sb, web) = web_sandbox();
    let s = serve_web(sb, &web);
    for path in [
        "/../secret.txt",
        "/assets/../../secret.txt",
        "/%2e%2e/secret.txt",
        "/..%2fsecret.txt",
        "/assets/..%2f..%2fsecret.txt",
        "/%2e%2e%5csecret.txt",
        "/assets/%2e%2e/%2e%2e/secret.txt",
        "/leak.txt",
        &format!("/{}", web.parent().unwrap().join("secret.txt").display()),
        "//etc/passwd",
        "/%00",
    ] {
        let (status, text) = raw_get(&s, path).await;
        assert!(!text.contains("top secret"), "{path} leaked the file: {text}");
        assert!(!text.contains("root:"), "{path} leaked /etc/passwd: {text}");
        assert!(
            [200, 400, 404].contains(&status),
            "{path}: {status} (a refusal or the index)"
        );
        if status == 200 {
            assert!(text.ends_with(INDEX), "{path}: 200 with something else than the index");
        }
    }
}

#[tokio::test]
async fn unknown_api_routes_are_json_404s() {
    let (sb, web) = web_sandbox();
    let s = serve_web(sb, &web);
    for path in ["/api/nope", "/api/projects/x/y/z", "/api", "/api/"] {
        let r = get(&s, path).await;
        assert_eq!(r.status(), 404, "{path}");
        assert!(header(&r, "content-type").starts_with("application/json"), "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}: {body}");
    }
    let r = s.http.post(format!("{}/api/nope", s.base)).send().await.unwrap();
    assert_eq!(r.status(), 404);
    // Known routes are untouched.
    let r = get(&s, "/api/openapi.json").await;
    assert_eq!(r.status(), 200);
    let r = get(&s, "/api/projects").await;
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn without_a_built_ui_pages_say_how_to_build_it() {
    // No directory at all, and a directory without index.html (a half-done build).
    let sb = Sandbox::new();
    let missing = sb.dir.path().join("no-such-dir");
    let s = serve_web(sb, &missing);
    let sb2 = Sandbox::new();
    let empty = sb2.dir.path().join("dist");
    std::fs::create_dir_all(empty.join("assets")).unwrap();
    // Through the flag this time.
    let mut cmd = sb2.cmd(&["serve", "--bind", "127.0.0.1:0", "--web-dir"]);
    cmd.arg(&empty).env_remove("WORKFLOW_ENGINE_WEB_DIR");
    let s2 = Server::spawn(sb2, cmd);

    for (server, dir) in [(&s, &missing), (&s2, &empty)] {
        for path in ["/", "/p/x/board"] {
            let r = get(server, path).await;
            assert_eq!(r.status(), 503, "{path}");
            assert_eq!(header(&r, "content-type"), "text/html; charset=utf-8");
            let page = r.text().await.unwrap();
            assert!(
                page.contains("npm --prefix web ci &amp;&amp; npm --prefix web run build"),
                "{page}"
            );
            assert!(page.contains(&dir.display().to_string()), "{page}");
        }
        let r = get(server, "/api/openapi.json").await;
        assert_eq!(r.status(), 200, "the API works without the UI");
    }
}
