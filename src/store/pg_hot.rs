//! PostgreSQL's hot connection: one connection the store keeps for a step's end, outside
//! the pool, the counterpart of SQLite's hot connection (`Store::write_now`).
//!
//! sqlx tests every pooled connection as it goes back to the pool (a `Sync` and the
//! server's `ReadyForQuery`, always, in 0.8): a second round trip after each statement. It
//! is not waited for, but it wakes the server's backend and the engine's runtime again, and
//! the connection is busy meanwhile, so a run's next step takes another connection and the
//! step writes alternate between backends. On two cores that cost about a tenth of a
//! millisecond a step. The hot connection is used one statement at a time and never goes
//! through the pool: no test after use, the same backend for every step, its prepared
//! statements kept.
//!
//! A writer that finds it busy (another run's step ending at the same moment) takes a
//! pooled connection instead, so concurrent runs still commit side by side and share the
//! server's WAL flushes. A connection whose last use did not end cleanly (an error, or the
//! statement's future dropped mid-way) is closed and replaced before the next use, as is one
//! idle longer than the pool trusts (`pg_pool::PG_TRUSTED_IDLE`) that does not answer a ping.

use std::time::Instant;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, PgPool, Postgres};
use tokio::sync::{Mutex, MutexGuard};

use super::pg_pool::PG_TRUSTED_IDLE;

/// The hot connection, made at its first use.
#[derive(Debug, Default)]
pub(crate) struct Hot {
    slot: Mutex<Slot>,
}

#[derive(Debug, Default)]
pub(crate) struct Slot {
    conn: Option<PgConnection>,
    last_used: Option<Instant>,
    /// True between a use's start and its `done`: still true at the next use means the last
    /// one ended early, and the connection may be mid-statement.
    in_use: bool,
}

/// A connection for one statement: the hot one, or a pooled one when it is busy.
pub(crate) enum HotConn<'a> {
    Held(MutexGuard<'a, Slot>),
    Pooled(PoolConnection<Postgres>),
}

impl Hot {
    /// The hot connection if no one is using it, else one from `pool`.
    pub(crate) async fn take<'a>(&'a self, pool: &PgPool) -> Result<HotConn<'a>, sqlx::Error> {
        match self.slot.try_lock() {
            Ok(slot) => Ok(HotConn::Held(slot)),
            Err(_) => Ok(HotConn::Pooled(pool.acquire().await?)),
        }
    }
}

impl HotConn<'_> {
    /// The connection to run the statement on, (re)connected to `url` if needed.
    pub(crate) async fn conn(&mut self, url: &str) -> Result<&mut PgConnection, sqlx::Error> {
        let slot = match self {
            HotConn::Pooled(conn) => return Ok(&mut **conn),
            HotConn::Held(slot) => &mut **slot,
        };
        if slot.in_use {
            // The last use ended early, maybe mid-statement: closed, and a new one made.
            slot.conn = None;
        } else if slot.last_used.is_some_and(|t| t.elapsed() > PG_TRUSTED_IDLE) {
            // Idle a while (the server may have restarted): kept if it still answers.
            if let Some(mut conn) = slot.conn.take() {
                if conn.ping().await.is_ok() {
                    slot.conn = Some(conn);
                }
            }
        }
        slot.in_use = true;
        if slot.conn.is_none() {
            let options: PgConnectOptions = url.parse()?;
            slot.conn = Some(PgConnection::connect_with(&options).await?);
        }
        Ok(slot.conn.as_mut().expect("connected above"))
    }

    /// The statement ended with `result`: the connection is kept for the next unless it
    /// failed (a server's refusal or a broken connection alike: a new one is cheap beside
    /// using a broken one again).
    pub(crate) fn done<T>(&mut self, result: &Result<T, sqlx::Error>) {
        if let HotConn::Held(slot) = self {
            slot.in_use = false;
            slot.last_used = Some(Instant::now());
            if result.is_err() {
                slot.conn = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh database's URL, a pool on it and a hot connection not yet made.
    async fn fresh() -> (String, PgPool, Hot) {
        let url = crate::testing::pg::fresh_database_url();
        let pool = PgPool::connect(&url).await.unwrap();
        (url, pool, Hot::default())
    }

    async fn backend(hot: &Hot, pool: &PgPool, url: &str) -> (i32, bool) {
        let mut taken = hot.take(pool).await.unwrap();
        let held = matches!(taken, HotConn::Held(_));
        let conn = taken.conn(url).await.unwrap();
        let out = sqlx::query_as::<_, (i32,)>("SELECT pg_backend_pid()")
            .fetch_one(&mut *conn)
            .await;
        taken.done(&out);
        (out.unwrap().0, held)
    }

    /// One statement after another runs on one backend, outside the pool; a statement that
    /// starts while another has it takes a pooled connection instead.
    #[tokio::test]
    async fn statements_share_one_connection_and_a_busy_one_sends_the_next_to_the_pool() {
        let (url, pool, hot) = fresh().await;
        let (first, held) = backend(&hot, &pool, &url).await;
        assert!(held);
        for _ in 0..5 {
            assert_eq!(backend(&hot, &pool, &url).await, (first, true));
        }
        let busy = hot.take(&pool).await.unwrap();
        assert!(matches!(busy, HotConn::Held(_)));
        let (other, held) = backend(&hot, &pool, &url).await;
        assert!(!held, "the hot connection was taken: a pooled one");
        assert_ne!(other, first);
        drop(busy);
        assert_eq!(backend(&hot, &pool, &url).await, (first, true));
    }

    /// A use that ended early (its future dropped mid-statement) or with an error leaves the
    /// connection in doubt: the next use gets a new one, and it works.
    #[tokio::test]
    async fn a_connection_left_mid_statement_or_after_an_error_is_replaced() {
        let (url, pool, hot) = fresh().await;
        let (first, _) = backend(&hot, &pool, &url).await;
        {
            let mut taken = hot.take(&pool).await.unwrap();
            let conn = taken.conn(&url).await.unwrap();
            let sleep = sqlx::query("SELECT pg_sleep(5)").execute(&mut *conn);
            // Dropped after it was sent: the connection is mid-statement.
            let _ = tokio::time::timeout(std::time::Duration::from_millis(200), sleep).await;
        }
        let (second, held) = backend(&hot, &pool, &url).await;
        assert!(held);
        assert_ne!(second, first, "a new connection after the abandoned statement");

        let mut taken = hot.take(&pool).await.unwrap();
        let conn = taken.conn(&url).await.unwrap();
        let failed = sqlx::query("SELECT * FROM no_such_table").execute(&mut *conn).await;
        assert!(failed.is_err());
        taken.done(&failed);
        drop(taken);
        let (third, held) = backend(&hot, &pool, &url).await;
        assert!(held);
        assert_ne!(third, second, "a new connection after the failed statement");
    }

    /// The server ended the connection while it sat idle past the time the pool trusts an
    /// idle connection: it is pinged, found gone, and replaced before the statement.
    #[tokio::test]
    async fn a_connection_the_server_ended_while_idle_is_replaced_before_use() {
        let (url, pool, hot) = fresh().await;
        let (first, _) = backend(&hot, &pool, &url).await;
        let (ended,): (bool,) = sqlx::query_as("SELECT pg_terminate_backend($1)")
            .bind(first)
            .fetch_one(&pool)
            .await
            .unwrap();
        assert!(ended);
        tokio::time::sleep(PG_TRUSTED_IDLE + std::time::Duration::from_millis(300)).await;
        let (second, held) = backend(&hot, &pool, &url).await;
        assert!(held);
        assert_ne!(second, first);
    }
}
