//! The node registry: every `serve` node records its address, labels and hostname, and
//! `GET /api/nodes` lists them (admins only).

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_node_is_listed_with_its_address_labels_and_runs() {
    let mut c = Cluster::start(1).await;
    c.add_node(&NodeSpec::args(&["--node-labels", "gpu,eu"])).await;
    for i in 0..2 {
        let (status, body) = c.get(i, c.admin_token(), "/nodes").await;
        assert_eq!(status, 200, "{body}");
        let nodes = body["data"].as_array().unwrap();
        assert_eq!(nodes.len(), 2, "{body}");
        for (j, n) in nodes.iter().enumerate() {
            assert_eq!(n["alive"], true, "{n}");
            assert!(n["hostname"].as_str().is_some_and(|h| !h.is_empty()), "{n}");
            assert_eq!(n["runs_driven"], 0, "{n}");
            let _ = j;
        }
        let me: Vec<&Value> = nodes.iter().filter(|n| n["this_node"] == true).collect();
        assert_eq!(me.len(), 1, "{body}");
        assert_eq!(me[0]["address"], c.base(i), "{body}");
    }
    let id1 = c.node_id(1).await;
    let (_, body) = c.get(0, c.admin_token(), "/nodes").await;
    let n1 = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == id1.as_str())
        .unwrap()
        .clone();
    assert_eq!(n1["labels"], json!(["gpu", "eu"]));
    let n0 = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] != id1.as_str())
        .unwrap()
        .clone();
    assert_eq!(n0["labels"], json!([]));

    // Not for everyone.
    let token = c.user("bob@example.com", false);
    let (status, body) = c.get(0, &token, "/nodes").await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = c.get(0, "nope", "/nodes").await;
    assert_eq!(status, 401);

    // A node that stops cleanly leaves; one killed stays, and is dead once its heartbeat is old.
    c.stop(1);
    let (_, body) = c.get(0, c.admin_token(), "/nodes").await;
    assert_eq!(body["data"].as_array().unwrap().len(), 1, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advertise_url_is_what_the_node_says_and_a_bad_one_is_refused() {
    let c = Cluster::start_with(1, &NodeSpec::args(&["--advertise-url", "http://10.1.2.3:4820/"])).await;
    let (_, body) = c.get(0, c.admin_token(), "/nodes").await;
    assert_eq!(body["data"][0]["address"], "http://10.1.2.3:4820", "{body}");
    let out = c.cli(&["serve", "--bind", "127.0.0.1:0", "--advertise-url", "ftp://x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--advertise-url"), "{}", stderr(&out));
}
