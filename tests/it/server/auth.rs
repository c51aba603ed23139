//! Signing in over a real socket: throttled guessing, and the same time spent whether or not
//! the email exists.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::server_util::*;

pub async fn login(s: &Server, email: &str, password: &str) -> reqwest::Response {
    s.http
        .post(s.url("/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

/// The `Retry-After` seconds of a 429, after checking it carries our error body.
async fn retry_after(r: reqwest::Response) -> u64 {
    assert_eq!(r.status(), 429);
    let secs = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "too_many_requests", "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("try again"),
        "{body}"
    );
    secs
}

#[tokio::test]
async fn repeated_wrong_passwords_get_429_with_a_growing_retry_after() {
    let s = Server::start().await;
    s.user("ann@example.com", false);
    s.user("bob@example.com", false);
    for _ in 0..5 {
        assert_eq!(login(&s, "ann@example.com", "wrong password").await.status(), 401);
    }
    let wait = retry_after(login(&s, "ann@example.com", "wrong password").await).await;
    assert_eq!(wait, 1, "the first wait is a second");
    // While blocked even the right password waits: an answer would tell a guesser it was right.
    retry_after(login(&s, "ann@example.com", PASSWORD).await).await;
    assert_eq!(
        login(&s, "bob@example.com", PASSWORD).await.status(),
        200,
        "other accounts are not blocked"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(login(&s, "ann@example.com", "wrong password").await.status(), 401);
    let wait = retry_after(login(&s, "ann@example.com", "wrong password").await).await;
    assert_eq!(wait, 2, "each further failure doubles the wait");
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(login(&s, "ann@example.com", PASSWORD).await.status(), 200);
    // The success forgot the failures: a slip of the finger is not blocked at once.
    assert_eq!(login(&s, "ann@example.com", "wrong password").await.status(), 401);
    assert_eq!(login(&s, "ann@example.com", PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn guessing_many_accounts_from_one_address_gets_429() {
    let s = Server::start().await;
    s.user("ann@example.com", false);
    for i in 0..20 {
        let r = login(&s, &format!("guess{i}@example.com"), "wrong password").await;
        assert_eq!(r.status(), 401, "attempt {i}");
    }
    let wait = retry_after(login(&s, "guess-next@example.com", "wrong password").await).await;
    assert_eq!(wait, 1);
    retry_after(login(&s, "ann@example.com", PASSWORD).await).await;
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::test]
async fn an_unknown_email_takes_as_long_as_a_wrong_password() {
    let s = Server::start().await;
    s.user("ann@example.com", false);
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..5 {
        let t = Instant::now();
        assert_eq!(login(&s, "ann@example.com", "wrong password").await.status(), 401);
        known.push(t.elapsed());
        let t = Instant::now();
        let r = login(&s, &format!("nobody{i}@example.com"), "wrong password").await;
        assert_eq!(r.status(), 401);
        unknown.push(t.elapsed());
    }
    let (known, unknown) = (median(known), median(unknown));
    // Generous: the point is an order of magnitude (a password hash or none), not a few percent.
    assert!(
        unknown * 3 >= known && known * 3 >= unknown,
        "wrong password {known:?}, unknown email {unknown:?}"
    );
}
