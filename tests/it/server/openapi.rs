//! `GET /api/openapi.json`: served without a token, OpenAPI 3.1, every route with its method
//! and its security, every `$ref` resolving, and schemas true to what the server sends.

use std::collections::BTreeSet;

use futures_util::StreamExt;
use reqwest::multipart::{Form, Part};
use reqwest::Method;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message;

use crate::server_util::*;

/// Every route of the router, as (method, path).
const ROUTES: &[(&str, &str)] = &[
    ("post", "/api/auth/login"),
    ("post", "/api/auth/logout"),
    ("get", "/api/projects"),
    ("post", "/api/projects"),
    ("get", "/api/projects/{id}"),
    ("patch", "/api/projects/{id}"),
    ("get", "/api/workflow-definitions"),
    ("get", "/api/workflow-definitions/{id}"),
    ("post", "/api/workflow-definitions/{id}/run-name"),
    ("post", "/api/workflow-executions"),
    ("get", "/api/workflow-executions"),
    ("get", "/api/board"),
    ("get", "/api/workflow-executions/{id}"),
    ("post", "/api/workflow-executions/{id}/pause"),
    ("post", "/api/workflow-executions/{id}/resume"),
    ("post", "/api/workflow-executions/{id}/rerun"),
    ("post", "/api/workflow-executions/{id}/cancel"),
    ("post", "/api/workflow-executions/{id}/budget"),
    ("post", "/api/workflow-executions/{id}/approvals/{step}"),
    ("post", "/api/workflow-executions/{id}/signals/{name}"),
    ("get", "/api/approvals"),
    ("get", "/api/workflow-steps/{id}"),
    ("get", "/api/workflow-steps/{id}/logs/{type}"),
    ("get", "/api/workflow-steps/{id}/diff"),
    ("get", "/api/workflow-executions/{id}/diff"),
    ("post", "/api/workflow-executions/{id}/artifacts"),
    ("get", "/api/artifacts/{id}"),
    ("get", "/api/artifacts/{id}/link"),
    ("get", "/api/artifacts/{id}/content"),
    ("patch", "/api/artifacts/{id}/attach"),
    ("delete", "/api/artifacts/{id}/detach"),
    ("post", "/api/workflow-executions/{id}/comments"),
    ("get", "/api/workflow-executions/{id}/comments"),
    ("get", "/api/projects/{id}/secrets"),
    ("put", "/api/projects/{id}/secrets/{name}"),
    ("delete", "/api/projects/{id}/secrets/{name}"),
    ("get", "/api/ws"),
    ("get", "/api/nodes"),
    ("get", "/api/openapi.json"),
];

/// The routes that take no token (an artifact's content is authorised by its link's signature).
const PUBLIC: &[&str] = &["/api/auth/login", "/api/openapi.json", "/api/artifacts/{id}/content"];

const HTTP_METHODS: &[&str] = &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

async fn fetch(s: &Server) -> Value {
    let r = s.http.get(s.url("/openapi.json")).send().await.unwrap();
    assert_eq!(r.status(), 200, "served without a token");
    assert_eq!(r.headers()["content-type"], "application/json");
    r.json().await.unwrap()
}

/// (method, path, operation) for every operation of the document.
fn operations(doc: &Value) -> Vec<(&str, &str, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if HTTP_METHODS.contains(&method.as_str()) {
                out.push((method.as_str(), path.as_str(), op));
            }
        }
    }
    out
}

/// `/a/{id}/b` with every `{...}` replaced by `value`.
fn fill(template: &str, value: &str) -> String {
    template
        .split('/')
        .map(|seg| if seg.starts_with('{') { value } else { seg })
        .collect::<Vec<_>>()
        .join("/")
}

#[tokio::test]
async fn the_document_is_public_and_has_every_route() {
    let s = Server::start().await;
    let doc = fetch(&s).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["info"]["title"], "workflow-engine");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));

    // The web UI's files are served at `/` by the router's fallback: not part of the API.
    for (method, path, _) in operations(&doc) {
        assert!(path.starts_with("/api/"), "{method} {path} is not under /api");
    }
    let documented: BTreeSet<(String, String)> = operations(&doc)
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.to_string()))
        .collect();
    let expected: BTreeSet<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let missing: Vec<_> = expected.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing from the document: {missing:?}; not routes: {extra:?}"
    );

    let mut ids = BTreeSet::new();
    for (method, path, op) in operations(&doc) {
        let id = op["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
        assert!(ids.insert(id), "operationId {id} twice");
        assert!(
            op["tags"].as_array().is_some_and(|t| !t.is_empty()),
            "{method} {path}: no tag"
        );
        assert!(
            op["responses"].as_object().is_some_and(|r| !r.is_empty()),
            "{method} {path}: no responses"
        );
        for name in path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{')?.strip_suffix('}'))
        {
            let declared = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true);
            assert!(declared, "{method} {path}: path parameter {name} not declared");
        }
    }

    // Each documented operation is routed with its method: without a token it asks for one
    // (401) rather than being unknown (404) or of another method (405).
    for (method, path) in ROUTES {
        let r = s
            .http
            .request(
                Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                format!("{}{}", s.base, fill(path, "x")),
            )
            .send()
            .await
            .unwrap();
        let expected = match *path {
            "/api/auth/login" => 400, // no body
            "/api/openapi.json" => 200,
            _ => 401,
        };
        assert_eq!(r.status().as_u16(), expected, "{method} {path}");
    }
}

#[tokio::test]
async fn every_route_but_login_and_the_document_needs_a_bearer_token() {
    let s = Server::start().await;
    let doc = fetch(&s).await;
    let schemes = doc["components"]["securitySchemes"]
        .as_object()
        .expect("securitySchemes");
    let bearer = &schemes["bearer"];
    assert_eq!(
        (&bearer["type"], &bearer["scheme"], &bearer["bearerFormat"]),
        (&json!("http"), &json!("bearer"), &json!("JWT"))
    );
    assert!(
        doc.get("security").is_none(),
        "no document-wide requirement to override"
    );
    for (method, path, op) in operations(&doc) {
        let security = op.get("security").and_then(Value::as_array);
        if PUBLIC.contains(&path) {
            assert!(
                security.is_none_or(|reqs| reqs.iter().any(|r| r.as_object().is_some_and(|r| r.is_empty()))),
                "{method} {path} needs no token: {op}"
            );
            continue;
        }
        let reqs = security.unwrap_or_else(|| panic!("{method} {path}: no security requirement"));
        assert!(
            reqs.iter().any(|r| r.get("bearer").is_some()),
            "{method} {path}: the bearer token is not among {reqs:?}"
        );
        for name in reqs.iter().flat_map(|r| r.as_object().unwrap().keys()) {
            assert!(schemes.contains_key(name), "{method} {path}: no security scheme {name}");
        }
    }
}

#[tokio::test]
async fn every_ref_points_to_an_existing_component() {
    let s = Server::start().await;
    let doc = fetch(&s).await;
    let mut refs = Vec::new();
    collect_refs(&doc, "", &mut refs);
    assert!(refs.len() > 50, "{} refs", refs.len());
    for (at, r) in &refs {
        assert!(r.starts_with("#/components/"), "{at}: {r} is not a local component");
        assert!(doc.pointer(&r[1..]).is_some(), "{at}: {r} points nowhere");
    }
    // And the schemas compile as JSON Schema (2020-12, what OpenAPI 3.1 uses).
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        let schema = json!({ "$ref": format!("#/components/schemas/{name}") });
        validate(&doc, &schema, &Value::Null);
    }
}

fn collect_refs(v: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push((at.to_string(), r.clone())),
                    _ => collect_refs(v, &format!("{at}/{k}"), out),
                }
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                collect_refs(v, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

// ---- Responses against the document ----

/// Where the problems are when `value` does not match `schema` (resolved in the document).
fn validate(doc: &Value, schema: &Value, value: &Value) -> Vec<String> {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": { "schemas": doc["components"]["schemas"] },
        "allOf": [schema],
    });
    let validator = jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("not a JSON Schema: {e}\n{schema}"));
    validator
        .iter_errors(value)
        .map(|e| format!("{}: {e}", e.instance_path))
        .collect()
}

fn resolve<'a>(doc: &'a Value, mut schema: &'a Value) -> &'a Value {
    while let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        schema = doc.pointer(&r[1..]).unwrap_or_else(|| panic!("{r} points nowhere"));
    }
    schema
}

/// The branch of a `oneOf`/`anyOf` that `value` matches.
fn branch<'a>(doc: &'a Value, schema: &'a Value, value: &Value) -> Option<&'a Value> {
    let branches = schema.get("oneOf").or_else(|| schema.get("anyOf"))?.as_array()?;
    branches.iter().find(|b| validate(doc, b, value).is_empty())
}

/// The properties a schema names for `value` (through `allOf` and unions); true when it
/// allows others too (a map, or free-form JSON).
fn properties<'a>(doc: &'a Value, schema: &'a Value, value: &Value, out: &mut Vec<(&'a str, &'a Value)>) -> bool {
    let schema = resolve(doc, schema);
    if let Some(b) = branch(doc, schema, value) {
        return properties(doc, b, value, out);
    }
    let named = schema.get("properties").and_then(Value::as_object);
    let parts = schema.get("allOf").and_then(Value::as_array);
    let mut open = named.is_none() && parts.is_none()
        || schema
            .get("additionalProperties")
            .is_some_and(|a| a != &Value::Bool(false));
    out.extend(named.into_iter().flatten().map(|(k, v)| (k.as_str(), v)));
    for part in parts.into_iter().flatten() {
        open |= properties(doc, part, value, out);
    }
    open
}

/// Fields of `value` that `schema` does not name: what the server sends must be documented.
fn undocumented(doc: &Value, schema: &Value, value: &Value, at: &str, out: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    if let Some(b) = branch(doc, schema, value) {
        return undocumented(doc, b, value, at, out);
    }
    match value {
        Value::Object(map) => {
            let mut named = Vec::new();
            let open = properties(doc, schema, value, &mut named);
            for (k, v) in map {
                match named.iter().find(|(name, _)| name == k) {
                    Some((_, s)) => undocumented(doc, s, v, &format!("{at}/{k}"), out),
                    None if !open => out.push(format!("{at}/{k}")),
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    undocumented(doc, s, v, &format!("{at}/{i}"), out);
                }
            }
        }
        _ => {}
    }
}

/// `value` matches `schema` and has no field the schema does not name.
fn conforms(doc: &Value, schema: &Value, value: &Value, what: &str) {
    let errors = validate(doc, schema, value);
    assert!(
        errors.is_empty(),
        "{what} does not match {schema}: {errors:#?}\n{value:#}"
    );
    let mut extra = Vec::new();
    undocumented(doc, schema, value, "", &mut extra);
    assert!(extra.is_empty(), "{what}: undocumented fields {extra:?}\n{value:#}");
}

/// The document's path template that `path` (no query) is an instance of.
fn template<'a>(doc: &'a Value, path: &str) -> &'a str {
    let segs: Vec<&str> = path.split('/').collect();
    let found: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|t| {
            let tsegs: Vec<&str> = t.split('/').collect();
            tsegs.len() == segs.len() && tsegs.iter().zip(&segs).all(|(t, s)| t.starts_with('{') || t == s)
        })
        .map(String::as_str)
        .collect();
    assert_eq!(found.len(), 1, "{path} is an instance of {found:?}");
    found[0]
}

/// Sends requests and checks each answer against the document: its status is one the
/// operation documents, and its body matches that status's schema.
struct Api<'a> {
    s: &'a Server,
    doc: Value,
}

impl Api<'_> {
    async fn expect(&self, status: u16, token: &str, method: &str, path: &str, body: Option<Value>) -> Value {
        let mut req = self.s.http.request(
            Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
            self.s.url(path),
        );
        if !token.is_empty() {
            req = req.bearer_auth(token);
        }
        if let Some(body) = body {
            req = req.json(&body);
        }
        self.check(status, method, path, req.send().await.unwrap()).await
    }

    async fn check(&self, status: u16, method: &str, path: &str, r: reqwest::Response) -> Value {
        let got = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or(Value::Null);
        assert_eq!(got, status, "{method} {path}: {body}");
        let full = format!("/api{}", path.split('?').next().unwrap());
        let template = template(&self.doc, &full);
        let response = &self.doc["paths"][template][method]["responses"][status.to_string()];
        assert!(
            response.is_object(),
            "{method} {template} answered {status}, which it does not document"
        );
        let schema = &response["content"]["application/json"]["schema"];
        assert!(schema.is_object(), "{method} {template}: no JSON schema for {status}");
        conforms(&self.doc, schema, &body, &format!("{method} {path} ({status})"));
        body
    }

    async fn upload(&self, status: u16, token: &str, run: &str, form: Form) -> Value {
        let path = format!("/workflow-executions/{run}/artifacts");
        let r = self
            .s
            .http
            .post(self.s.url(&path))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        self.check(status, "post", &path, r).await
    }
}

const BROKEN_YAML: &str =
    "name: Broken\nphases: [a]\nsteps:\n  - id: x\n    phase: nope\n    type: script\n    command: \"true\"\n";

#[tokio::test]
async fn what_the_server_sends_matches_the_document() {
    let s = Server::start().await;
    s.user("ann@example.com", false);
    let bob = s.user("bob@example.com", false);
    let api = Api {
        s: &s,
        doc: fetch(&s).await,
    };

    // Auth.
    let login = |pw: &str| json!({ "email": "ann@example.com", "password": pw });
    let body = api.expect(200, "", "post", "/auth/login", Some(login(PASSWORD))).await;
    let ann = body["data"]["token"].as_str().unwrap().to_string();
    api.expect(401, "", "post", "/auth/login", Some(login("nope"))).await;
    api.expect(400, "", "post", "/auth/login", Some(json!({ "email": 3 })))
        .await;
    api.expect(401, "", "get", "/projects", None).await;
    api.expect(401, "", "post", "/auth/logout", None).await;

    // Projects and definitions (one that loads, a slow one, one that does not load).
    let dir = s.sb.dir.path().join("alpha");
    let defs = dir.join(".agent/workflows/definitions");
    std::fs::create_dir_all(&defs).unwrap();
    for (file, text) in [
        ("quick.yaml", QUICK_YAML),
        ("slow.yaml", SLOW_YAML),
        ("broken.yaml", BROKEN_YAML),
    ] {
        std::fs::write(defs.join(file), text).unwrap();
    }
    let body = api
        .expect(
            201,
            &ann,
            "post",
            "/projects",
            Some(json!({ "name": "alpha", "path": dir })),
        )
        .await;
    let project = body["data"]["id"].as_str().unwrap().to_string();
    // Another user's directory is refused like a missing one (not 409): no ownership leaks.
    api.expect(
        400,
        &bob,
        "post",
        "/projects",
        Some(json!({ "name": "mine", "path": dir })),
    )
    .await;
    api.expect(
        400,
        &ann,
        "post",
        "/projects",
        Some(json!({ "name": "x", "path": "rel" })),
    )
    .await;
    api.expect(200, &ann, "get", "/projects", None).await;
    let body = api
        .expect(
            200,
            &ann,
            "get",
            &format!("/workflow-definitions?project_id={project}"),
            None,
        )
        .await;
    let def = |name: &str| {
        body["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["name"] == name)
            .unwrap_or_else(|| panic!("{body}"))["id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (quick, slow, broken) = (def("Quick"), def("Slow"), def("broken"));
    let body = api
        .expect(200, &ann, "get", &format!("/workflow-definitions/{quick}"), None)
        .await;
    assert_eq!(body["data"]["steps"][0]["id"], "hello", "{body}");
    let body = api
        .expect(200, &ann, "get", &format!("/workflow-definitions/{broken}"), None)
        .await;
    assert!(body["data"]["load_error"]["errors"][0]["message"].is_string(), "{body}");
    api.expect(404, &ann, "get", "/workflow-definitions/nope", None).await;
    api.expect(
        404,
        &bob,
        "get",
        &format!("/workflow-definitions?project_id={project}"),
        None,
    )
    .await;

    // Runs.
    let start = |def: &str, args: Value| json!({ "project_id": project, "workflow_definition_id": def, "args": args });
    let body = api
        .expect(
            400,
            &ann,
            "post",
            "/workflow-executions",
            Some(start(&quick, json!({}))),
        )
        .await;
    assert_eq!(body["error"]["code"], "invalid_args");
    assert!(body["error"]["details"].is_array(), "{body}");
    api.expect(
        400,
        &ann,
        "post",
        "/workflow-executions",
        Some(start(&broken, json!({}))),
    )
    .await;
    api.expect(
        404,
        &bob,
        "post",
        "/workflow-executions",
        Some(start(&quick, json!({}))),
    )
    .await;
    let body = api
        .expect(
            201,
            &ann,
            "post",
            "/workflow-executions",
            Some(start(&quick, json!({ "who": "ann" }))),
        )
        .await;
    let run = body["data"]["id"].as_str().unwrap().to_string();
    s.wait_status(&ann, &run, &["completed"]).await;
    let body = api
        .expect(200, &ann, "get", &format!("/workflow-executions/{run}"), None)
        .await;
    let step = body["data"]["steps"][0]["id"].as_str().unwrap().to_string();
    api.expect(404, &bob, "get", &format!("/workflow-executions/{run}"), None)
        .await;
    api.expect(
        200,
        &ann,
        "get",
        &format!("/workflow-executions?project_id={project}&limit=1"),
        None,
    )
    .await;
    api.expect(400, &ann, "get", "/workflow-executions?status=bogus", None)
        .await;
    api.expect(404, &ann, "get", "/workflow-executions?project_id=nope", None)
        .await;

    // Steps.
    api.expect(200, &ann, "get", &format!("/workflow-steps/{step}/logs/output"), None)
        .await;
    api.expect(400, &ann, "get", &format!("/workflow-steps/{step}/logs/bogus"), None)
        .await;
    api.expect(404, &ann, "get", "/workflow-steps/nope", None).await;

    // Comments and artifacts.
    let comments = format!("/workflow-executions/{run}/comments");
    let body = api
        .expect(
            201,
            &ann,
            "post",
            &comments,
            Some(json!({ "text": "looks good", "step_id": step })),
        )
        .await;
    let comment = body["data"]["id"].as_str().unwrap().to_string();
    api.expect(
        400,
        &ann,
        "post",
        &comments,
        Some(json!({ "text": "x", "comment_type": "robot" })),
    )
    .await;
    api.expect(
        400,
        &ann,
        "post",
        &comments,
        Some(json!({ "text": "x", "comment_type": "system" })),
    )
    .await;
    api.expect(404, &bob, "post", &comments, Some(json!({ "text": "x" })))
        .await;
    api.expect(400, &ann, "get", &format!("{comments}?step_id=nope"), None)
        .await;
    let file = || Part::bytes(b"hello\n".to_vec()).file_name("hello.txt");
    let form = Form::new().part("file", file()).text("step_id", step.clone());
    let body = api.upload(201, &ann, &run, form).await;
    let artifact = body["data"]["id"].as_str().unwrap().to_string();
    api.upload(400, &ann, &run, Form::new().part("file", file())).await;
    api.upload(404, &bob, &run, Form::new().part("file", file())).await;
    let attach = format!("/artifacts/{artifact}/attach");
    api.expect(200, &ann, "patch", &attach, Some(json!({ "comment_id": comment })))
        .await;
    api.expect(400, &ann, "patch", &attach, Some(json!({ "comment_id": "nope" })))
        .await;
    let body = api.expect(200, &ann, "get", &comments, None).await;
    assert_eq!(body["data"][0]["artifacts"][0]["id"], artifact.as_str(), "{body}");
    assert_eq!(body["data"][0]["creator"]["email"], "ann@example.com", "{body}");
    let body = api
        .expect(200, &ann, "get", &format!("/workflow-steps/{step}"), None)
        .await;
    assert_eq!(body["data"]["artifacts"][0]["id"], artifact.as_str(), "{body}");
    api.expect(200, &ann, "get", &format!("/workflow-executions/{run}"), None)
        .await;
    api.expect(200, &ann, "delete", &format!("/artifacts/{artifact}/detach"), None)
        .await;
    api.expect(404, &bob, "delete", &format!("/artifacts/{artifact}/detach"), None)
        .await;
    let r = s
        .http
        .get(s.url(&format!("/artifacts/{artifact}")))
        .bearer_auth(&ann)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let download = &api.doc["paths"]["/api/artifacts/{id}"]["get"]["responses"]["200"];
    for header in download["headers"].as_object().unwrap().keys() {
        assert!(
            r.headers().contains_key(header.as_str()),
            "documented header {header} not sent"
        );
    }
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"hello\n");
    api.expect(404, &ann, "get", "/artifacts/nope", None).await;

    // Pause, resume, cancel.
    let body = api
        .expect(201, &ann, "post", "/workflow-executions", Some(start(&slow, json!({}))))
        .await;
    let slow_run = body["data"]["id"].as_str().unwrap().to_string();
    let control = |verb: &str| format!("/workflow-executions/{slow_run}/{verb}");
    api.expect(409, &ann, "post", &format!("/workflow-executions/{run}/pause"), None)
        .await;
    api.expect(409, &ann, "post", &format!("/workflow-executions/{run}/resume"), None)
        .await;
    s.wait_status(&ann, &slow_run, &["running"]).await;
    api.expect(200, &ann, "post", &control("pause"), None).await;
    s.wait_status(&ann, &slow_run, &["paused"]).await;
    api.expect(200, &ann, "post", &control("resume"), None).await;
    api.expect(200, &ann, "post", &control("cancel"), None).await;
    let body = api.expect(409, &ann, "post", &control("cancel"), None).await;
    assert_eq!(body["error"]["current_status"], "cancelled", "{body}");
    api.expect(404, &bob, "post", &control("cancel"), None).await;
    api.expect(
        200,
        &ann,
        "get",
        &format!("/workflow-executions?project_id={project}"),
        None,
    )
    .await;
}

#[tokio::test]
async fn websocket_messages_match_the_document() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let doc = fetch(&s).await;
    let (project, _) = s.project(&ann, "alpha", &[("quick.yaml", QUICK_YAML)]).await;
    let def = s.definition_id(&ann, &project, "Quick").await;
    let (status, body) = s
        .post(
            &ann,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def, "args": { "who": "ann" } }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let run = body["data"]["id"].as_str().unwrap().to_string();
    let (status, body) = s
        .post(
            &ann,
            &format!("/workflow-executions/{run}/comments"),
            json!({ "text": "hi" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");

    // The token as `?token=` (the document's second scheme for this route), all events replayed.
    let url = format!("{}/api/ws?since=0&token={ann}", s.base.replace("http://", "ws://"));
    let (mut ws, response) = tokio_tungstenite::connect_async(url).await.expect("websocket connects");
    assert_eq!(response.status().as_u16(), 101);
    assert!(doc["paths"]["/api/ws"]["get"]["responses"]["101"].is_object());
    let schema = json!({ "$ref": "#/components/schemas/WsMessage" });
    let mut types = BTreeSet::new();
    let mut done = (false, false);
    while done != (true, true) {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(20), ws.next())
            .await
            .unwrap_or_else(|_| panic!("no event in time; seen {types:?}"))
            .expect("stream open")
            .expect("frame");
        let Message::Text(text) = msg else { continue };
        let event: Value = serde_json::from_str(&text).unwrap();
        conforms(&doc, &schema, &event, "a WebSocket message");
        types.insert(event["type"].as_str().unwrap().to_string());
        if event["type"] == "workflow.execution.status_changed" && event["data"]["status"] == "completed" {
            done.0 = true;
        }
        if event["type"] == "workflow.comment.created" {
            done.1 = true;
        }
    }
    for t in [
        "workflow.execution.created",
        "workflow.step.started",
        "workflow.step.completed",
    ] {
        assert!(types.contains(t), "{t} not among {types:?}");
    }
}

#[tokio::test]
async fn the_openapi_command_prints_the_served_document_and_stops_quietly_when_its_reader_does() {
    let s = Server::start().await;
    let out = s.sb.cmd(&["openapi"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(printed, fetch(&s).await, "the command prints what the server serves");

    // `workflow-engine openapi | head`: the reader goes away after a few bytes.
    let mut child =
        s.sb.cmd(&["openapi"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    assert!(!stderr.contains("panicked"), "{stderr}");
}
