//! B7: 200 WebSocket clients subscribed while 1,000 events are emitted (comments posted
//! through the API, each giving one `workflow.comment.created`): delivery latency.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context, Result};
use futures_util::StreamExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::report::{Figure, Goal, DURABILITY_OURS};
use crate::server::{wait_done, Server};
use crate::stats::{num, Samples};
use crate::Ctx;

const CLIENTS: usize = 200;
const EVENTS: usize = 1_000;
/// Comments posted per second (one poster, paced).
const RATE: u64 = 200;
const YAML: &str =
    "name: Fanout\nphases: [work]\nsteps:\n  - id: one\n    phase: work\n    type: script\n    command: \"true\"\n";

type Received = Arc<Mutex<Vec<(String, Instant)>>>;

pub async fn b7(ctx: &Ctx) -> Result<Vec<Figure>> {
    let dir = ctx.dir("b7-")?;
    let token = crate::server::cli_user(&ctx.bin, &dir.path().join("data"), "b7@bench.local")?;
    let server = Server::start(ctx, dir.path(), &[])?;
    let project = server.project(&token, "b7", &[("fanout.yaml", YAML)]).await?;
    let def = server.definition_id(&token, &project, "Fanout").await?;
    let run = server.start_run(&token, &project, &def, json!({})).await?;
    ensure!(wait_done(&server, &token, &run, Duration::from_secs(30)).await? == "completed");

    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (ws, _) = tokio_tungstenite::connect_async(server.ws_url(&token))
            .await
            .context("connect a WebSocket client")?;
        let got: Received = Arc::default();
        let sink = got.clone();
        let task = tokio::spawn(async move {
            let mut ws = ws;
            while let Some(Ok(msg)) = ws.next().await {
                let Message::Text(text) = msg else { continue };
                let at = Instant::now();
                // Cheap on purpose: 200 clients share this machine with the server.
                if let Some(id) = comment_id(text.as_str()) {
                    sink.lock().expect("received").push((id.to_string(), at));
                }
            }
        });
        clients.push((got, task));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    crate::progress(&format!("B7: {CLIENTS} clients connected; posting {EVENTS} comments"));

    let mut sent: HashMap<String, Instant> = HashMap::new();
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / RATE));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let path = format!("/workflow-executions/{run}/comments");
    let t0 = Instant::now();
    for i in 0..EVENTS {
        tick.tick().await;
        let at = Instant::now();
        let body = server
            .post(&token, &path, json!({ "text": format!("comment {i}") }))
            .await?;
        let id = body["data"]["id"].as_str().context("comment id")?.to_string();
        sent.insert(id, at);
    }
    let posting = t0.elapsed();
    // Let the last ones arrive.
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline && clients.iter().any(|(g, _)| g.lock().expect("received").len() < EVENTS) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut lat = Samples::default();
    let mut missing = 0;
    for (got, task) in clients {
        task.abort();
        let got = got.lock().expect("received");
        missing += EVENTS.saturating_sub(got.len());
        for (id, at) in got.iter() {
            if let Some(t) = sent.get(id) {
                lat.push(at.saturating_duration_since(*t).as_secs_f64() * 1000.0);
            }
        }
    }
    ensure!(!lat.is_empty(), "no client received any comment event");
    crate::progress(&format!(
        "B7: p99 {} ms, median {} ms, {missing} deliveries missing",
        num(lat.pct(99.0)),
        num(lat.median())
    ));
    let mut fig = Figure::median(
        "B7",
        "200 WebSocket clients subscribed while 1,000 events are emitted: delivery latency",
        "ms",
        lat,
        Some(Goal::AtMost(50.0)),
    );
    fig.stat = "p99";
    fig.value = fig.samples.pct(99.0);
    fig.durability = format!("{DURABILITY_OURS}; each event is in the journal table before it is sent");
    fig.how = format!(
        "{CLIENTS} clients of one non-admin user connected to `/api/ws`; one poster sends {EVENTS} comments \
         (`POST /api/workflow-executions/{{id}}/comments`) at {RATE}/s (took {} s); latency = when a client \
         received the comment's workflow.comment.created − when its POST was sent, over every (client, \
         event) pair. Clients and server share the machine's CPUs.",
        num(posting.as_secs_f64())
    );
    fig.extra.push(format!(
        "median {} ms, p95 {} ms, max {} ms; deliveries missing: {missing} of {}",
        num(fig.samples.median()),
        num(fig.samples.pct(95.0)),
        num(fig.samples.max()),
        CLIENTS * EVENTS
    ));
    Ok(vec![fig])
}

/// The comment id of a `workflow.comment.created` message, without parsing the JSON.
fn comment_id(text: &str) -> Option<&str> {
    if !text.contains("\"workflow.comment.created\"") {
        return None;
    }
    let rest = &text[text.find("\"comment_id\":\"")? + 14..];
    rest.get(..rest.find('"')?)
}
