//! Tokens over a real socket and the real CLI: `exp` and `nbf` enforced with a few seconds'
//! leeway, `?token=` only on the WebSocket, sign-out and `token revoke`, CLI lifetimes.

use futures_util::StreamExt;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use super::auth::login;
use crate::server_util::*;
use crate::util::*;

/// Signs in; returns the token and the user's id.
async fn sign_in(s: &Server, email: &str) -> (String, String) {
    let body: Value = login(s, email, PASSWORD).await.json().await.unwrap();
    let token = body["data"]["token"].as_str().expect("a token").to_string();
    (token, body["data"]["user"]["id"].as_str().unwrap().to_string())
}

/// A token signed with the server's own secret, with the given times relative to now.
fn forge(s: &Server, user_id: &str, nbf: i64, exp: i64) -> String {
    let secret = std::fs::read_to_string(s.sb.data_dir().join("jwt-secret")).unwrap();
    let now = chrono::Utc::now().timestamp();
    let claims = json!({
        "sub": user_id, "email": "ann@example.com", "iat": now, "nbf": now + nbf,
        "exp": now + exp, "jti": format!("forged{nbf}{exp}"), "gen": 0,
    });
    let key = jsonwebtoken::EncodingKey::from_secret(secret.trim().as_bytes());
    jsonwebtoken::encode(&jsonwebtoken::Header::default(), &claims, &key).unwrap()
}

/// The status of a WebSocket upgrade with the token in the header or in the query.
async fn ws_status(s: &Server, token: &str, in_query: bool) -> u16 {
    let ws = s.base.replace("http://", "ws://");
    let mut req = if in_query {
        format!("{ws}/api/ws?token={token}").into_client_request().unwrap()
    } else {
        format!("{ws}/api/ws").into_client_request().unwrap()
    };
    if !in_query {
        let header = format!("Bearer {token}").parse().unwrap();
        req.headers_mut().insert("authorization", header);
    }
    match tokio_tungstenite::connect_async(req).await {
        Ok((_, resp)) => resp.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => resp.status().as_u16(),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn expired_and_not_yet_valid_tokens_are_refused() {
    let s = Server::start().await;
    s.user("ann@example.com", false);
    let (_, id) = sign_in(&s, "ann@example.com").await;
    // The forged tokens are right but for their times: this one is accepted.
    assert_eq!(s.get(&forge(&s, &id, -60, 3600), "/projects").await.0, 200);
    // Expired 20 s ago: inside jsonwebtoken's default 60 s leeway, outside ours.
    let (status, body) = s.get(&forge(&s, &id, -60, -20), "/projects").await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("has expired"),
        "{body}"
    );
    let (status, body) = s.get(&forge(&s, &id, 60, 3600), "/projects").await;
    assert_eq!(status, 401, "not valid before a minute from now: {body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("not valid yet"),
        "{body}"
    );
    assert_eq!(ws_status(&s, &forge(&s, &id, -60, -20), false).await, 401);
}

#[tokio::test]
async fn a_token_in_the_query_is_accepted_only_by_the_websocket() {
    let s = Server::start().await;
    let token = s.user("ann@example.com", false);
    let r = s
        .http
        .get(s.url(&format!("/projects?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("only by the WebSocket"),
        "{body}"
    );
    assert_eq!(ws_status(&s, &token, true).await, 101);
    assert_eq!(ws_status(&s, &token, false).await, 101);
}

#[tokio::test]
async fn signing_out_revokes_that_token_on_every_route() {
    let s = Server::start().await;
    s.user("ann@example.com", false);
    let (token, _) = sign_in(&s, "ann@example.com").await;
    let (other, _) = sign_in(&s, "ann@example.com").await;
    assert_eq!(s.post(&token, "/auth/logout", json!({})).await.0, 204);
    let (status, body) = s.get(&token, "/projects").await;
    assert_eq!(status, 401);
    assert!(body["error"]["message"].as_str().unwrap().contains("revoked"), "{body}");
    assert_eq!(ws_status(&s, &token, false).await, 401);
    assert_eq!(ws_status(&s, &token, true).await, 401);
    let (again, _) = s.post(&token, "/auth/logout", json!({})).await;
    assert_eq!(again, 401, "a revoked token cannot sign out twice");
    assert_eq!(
        s.get(&other, "/projects").await.0,
        200,
        "the user's other sign-in stays"
    );
    let anonymous = s.http.post(s.url("/auth/logout")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn the_cli_revokes_one_token_or_all_of_a_users() {
    let s = Server::start().await;
    let cli_token = s.user("ann@example.com", false);
    let bob = s.user("bob@example.com", false);
    let (web_token, _) = sign_in(&s, "ann@example.com").await;
    let out = s.sb.run(&["token", "revoke", &cli_token]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.get(&cli_token, "/projects").await.0, 401);
    assert_eq!(s.get(&web_token, "/projects").await.0, 200);
    let out = s.sb.run(&["token", "revoke", "--email", "ANN@example.com"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(s.get(&web_token, "/projects").await.0, 401);
    assert_eq!(ws_status(&s, &web_token, true).await, 401);
    assert_eq!(s.get(&bob, "/projects").await.0, 200, "other users keep theirs");
    let (fresh, _) = sign_in(&s, "ann@example.com").await;
    assert_eq!(s.get(&fresh, "/projects").await.0, 200, "a new sign-in works");
    let bad = s.sb.run(&["token", "revoke", "not-a-token"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("not a token of this server"), "{}", stderr(&bad));
}

#[tokio::test]
async fn cli_tokens_live_as_long_as_asked() {
    let s = Server::start().await;
    s.user("ann@example.com", false);
    let lifetime = |ttl: &str| {
        let out = s.sb.run(&["token", "--email", "ann@example.com", "--ttl", ttl]);
        assert!(out.status.success(), "{}", stderr(&out));
        let secret = std::fs::read_to_string(s.sb.data_dir().join("jwt-secret")).unwrap();
        let key = jsonwebtoken::DecodingKey::from_secret(secret.trim().as_bytes());
        let claims: Value = jsonwebtoken::decode(stdout(&out).trim(), &key, &jsonwebtoken::Validation::default())
            .unwrap()
            .claims;
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap()
    };
    assert_eq!(lifetime("1h"), 3600);
    assert_eq!(lifetime("7d"), 7 * 86400);
    for (ttl, message) in [
        ("100d", "from 1m to 90d"),
        ("10s", "from 1m to 90d"),
        ("soon", "invalid duration"),
    ] {
        let out = s.sb.run(&["token", "--email", "ann@example.com", "--ttl", ttl]);
        assert_eq!(out.status.code(), Some(2), "{ttl}");
        assert!(stderr(&out).contains(message), "{ttl}: {}", stderr(&out));
    }
}

#[tokio::test]
async fn an_open_websocket_closes_when_its_token_is_revoked() {
    let s = Server::start().await;
    s.user("ann@example.com", false);
    let (token, _) = sign_in(&s, "ann@example.com").await;
    let (other, _) = sign_in(&s, "ann@example.com").await;
    let mut revoked = super::ws::connect(&s, &token, "").await;
    let mut kept = super::ws::connect(&s, &other, "").await;
    assert_eq!(s.post(&token, "/auth/logout", json!({})).await.0, 204);
    let closed = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            match revoked.next().await {
                Some(Ok(Message::Close(frame))) => return frame,
                Some(Ok(_)) => continue,
                other => panic!("the stream ended without a close frame: {other:?}"),
            }
        }
    })
    .await
    .expect("the revoked token's stream is closed within the recheck interval")
    .expect("a close frame with a reason");
    assert_eq!(u16::from(closed.code), 1008);
    assert!(closed.reason.contains("revoked"), "{}", closed.reason);
    // The other token's stream stays open: nothing but pings in the meantime.
    let still = tokio::time::timeout(std::time::Duration::from_millis(200), kept.next()).await;
    assert!(still.is_err(), "the other stream is still open: {still:?}");
}
