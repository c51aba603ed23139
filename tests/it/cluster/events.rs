//! Events across nodes: a WebSocket client of node B sees the events of a run node A drives,
//! in `seq` order, and `since` replays them on B (the journal is shared; `NOTIFY` wakes B's
//! journal tail).

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use super::claims::SLEEPY;
use super::*;

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(base: &str, token: &str, query: &str) -> Socket {
    let url = format!("{}/api/ws{query}", base.replace("http://", "ws://"));
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    tokio_tungstenite::connect_async(req)
        .await
        .expect("websocket connects")
        .0
}

/// Events of `run` until it completes (with when each arrived).
async fn until_completed(ws: &mut Socket, run: &str) -> Vec<(Value, Instant)> {
    let mut seen = Vec::new();
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next())
            .await
            .unwrap_or_else(|_| panic!("no event in time; seen: {seen:#?}"))
            .expect("open")
            .expect("frame");
        let Message::Text(text) = msg else { continue };
        let v: Value = serde_json::from_str(&text).unwrap();
        if v["data"]["execution_id"] != run {
            continue;
        }
        let done = v["type"] == "workflow.execution.status_changed" && v["data"]["status"] == "completed";
        seen.push((v, Instant::now()));
        if done {
            return seen;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_of_one_node_sees_another_nodes_run_in_order_and_can_replay_it() {
    let mut c = Cluster::start(1).await;
    // Node 1 does not have the project: node 0 drives its runs.
    c.add_node(&NodeSpec {
        isolated: true,
        ..NodeSpec::default()
    })
    .await;
    let (project, _) = c.project_on(0, "evented", &[("sleepy.yaml", SLEEPY)], &[]).await;
    let def = c.definition_id(0, &project, "Sleepy").await;
    let mut ws = connect(c.base(1), c.admin_token(), "").await;
    let run = c.start_run(0, &project, &def, json!({})).await;
    let seen = until_completed(&mut ws, &run).await;
    let seqs: Vec<i64> = seen.iter().map(|(v, _)| v["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "not in seq order: {seqs:?}");
    let kinds: Vec<&str> = seen.iter().map(|(v, _)| v["type"].as_str().unwrap()).collect();
    for k in ["workflow.step.started", "workflow.step.completed"] {
        assert!(kinds.contains(&k), "{kinds:?}");
    }
    let store = super::claims::store(&c).await;
    let row = workflow_engine::store::runs::RunRow::get(&store, &run)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.node_id, Some(c.node_id(0).await), "node 0 drove it");

    // Replayed on node 1 from before the run's first event: the same events, same order.
    let mut again = connect(c.base(1), c.admin_token(), &format!("?since={}", seqs[0] - 1)).await;
    let replayed = until_completed(&mut again, &run).await;
    let replayed: Vec<i64> = replayed.iter().map(|(v, _)| v["seq"].as_i64().unwrap()).collect();
    assert_eq!(replayed, seqs);
}
