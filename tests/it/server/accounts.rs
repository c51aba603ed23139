//! Accounts from the real CLI and the real server: emails ignore case and are unique as
//! such, passwords have a minimum length, and older databases with emails differing only in
//! case are upgraded without losing an account.

use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

use super::auth::login;
use crate::server_util::*;
use crate::util::*;

#[tokio::test]
async fn emails_are_case_insensitive_and_unique_as_such() {
    let s = Server::start().await;
    s.user("ann@example.com", false);
    let again =
        s.sb.run(&["user", "create", "--email", "Ann@Example.COM", "--password", PASSWORD]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("already exists"), "{}", stderr(&again));
    assert_eq!(login(&s, "ANN@example.com", PASSWORD).await.status(), 200);
    let token = s.sb.run(&["token", "--email", "aNN@EXAMPLE.com"]);
    assert!(token.status.success(), "{}", stderr(&token));
    let (status, body) = s.get(stdout(&token).trim(), "/projects").await;
    assert_eq!(status, 200, "{body}");
    let long = format!("{}@example.com", "a".repeat(250));
    for bad in ["no-at-sign", "two words@example.com", long.as_str()] {
        let out = s.sb.run(&["user", "create", "--email", bad, "--password", PASSWORD]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(stderr(&out).contains("is not an email address"), "{}", stderr(&out));
    }
}

#[tokio::test]
async fn passwords_need_twelve_characters_not_only_spaces() {
    let sb = Sandbox::new();
    let create = |password: &str| sb.run(&["user", "create", "--email", "ann@example.com", "--password", password]);
    let short = create("elevenchars");
    assert_eq!(short.status.code(), Some(2));
    assert!(
        stderr(&short).contains("at least 12 characters (it has 11)"),
        "{}",
        stderr(&short)
    );
    let blank = create("              ");
    assert_eq!(blank.status.code(), Some(2));
    assert!(stderr(&blank).contains("not be only spaces"), "{}", stderr(&blank));
    let ok = create("twelve chars");
    assert!(ok.status.success(), "{}", stderr(&ok));
}

/// The migration that makes emails unique ignoring case, on a database made before it.
const NOCASE_MIGRATION: i64 = 20261205074500;

#[tokio::test]
async fn older_accounts_differing_only_in_case_are_kept_apart_on_upgrade() {
    let sb = Sandbox::new();
    if sb.on_pg() {
        eprintln!("skipped on PostgreSQL: an upgrade of a SQLite file made before a SQLite migration");
        return;
    }
    std::fs::create_dir_all(sb.data_dir()).unwrap();
    let options = SqliteConnectOptions::new()
        .filename(sb.data_dir().join("workflow-engine.db"))
        .create_if_missing(true);
    let pool = SqlitePoolOptions::new().connect_with(options).await.unwrap();
    let mut before = sqlx::migrate!("./migrations");
    before.migrations = before
        .migrations
        .iter()
        .filter(|m| m.version < NOCASE_MIGRATION)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    before.run(&pool).await.unwrap();
    let hash = workflow_engine::accounts::hash_password(PASSWORD);
    for (id, email, at) in [
        ("u2", "Bob@Example.com", "2026-01-02T00:00:00Z"),
        ("u1", "bob@example.com", "2026-01-01T00:00:00Z"),
    ] {
        sqlx::query("INSERT INTO users (id, email, password_hash, created_at, updated_at) VALUES (?, ?, ?, ?, ?)")
            .bind(id)
            .bind(email)
            .bind(&hash)
            .bind(at)
            .bind(at)
            .execute(&pool)
            .await
            .unwrap();
    }
    pool.close().await;
    // The first command after the upgrade migrates; the older account keeps the email.
    let s = Server::start_in(sb).await;
    let (status, body) = login_json(&s, "BOB@example.com").await;
    assert_eq!(
        (status, body["data"]["user"]["id"].as_str()),
        (200, Some("u1")),
        "{body}"
    );
    let (status, body) = login_json(&s, "duplicate-u2+bob@example.com").await;
    assert_eq!(
        (status, body["data"]["user"]["id"].as_str()),
        (200, Some("u2")),
        "{body}"
    );
}

async fn login_json(s: &Server, email: &str) -> (u16, serde_json::Value) {
    let r = login(s, email, PASSWORD).await;
    (r.status().as_u16(), r.json().await.unwrap())
}
