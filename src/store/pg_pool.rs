//! The options of the store's PostgreSQL pools.

use std::time::Duration;

use sqlx::postgres::PgPoolOptions;

/// How long a PostgreSQL connection may sit idle in its pool and still be handed out
/// without a ping first.
pub(super) const PG_TRUSTED_IDLE: Duration = Duration::from_secs(5);

/// A PostgreSQL pool's options: no connection kept open for nothing, and no ping before
/// each use of a connection that was used within `PG_TRUSTED_IDLE`. sqlx pings every
/// connection it hands out by default (`test_before_acquire`): a round trip to the server,
/// waking its backend, before every statement, one of the two per step a step's write cost.
/// A connection idle longer (the server may have restarted, a proxy dropped it) is pinged,
/// and replaced when it does not answer.
pub(super) fn options() -> PgPoolOptions {
    PgPoolOptions::new()
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > PG_TRUSTED_IDLE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Db, Store};

    /// A connection the server dropped while it sat idle past `PG_TRUSTED_IDLE` is pinged
    /// before use and replaced: the statement after the drop succeeds on a new connection.
    #[tokio::test]
    async fn a_connection_dropped_while_idle_is_replaced_before_use() {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::testing::pg::fresh_database_url();
        let store = Store::open_pg(dir.path(), &url).await.unwrap();
        let Db::Pg(pg) = &store.db else { unreachable!() };
        let pid = |pool: &sqlx::PgPool| {
            let pool = pool.clone();
            async move {
                let (pid,): (i32,) = sqlx::query_as("SELECT pg_backend_pid()")
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                pid
            }
        };
        let before = pid(&pg.pool).await;
        // The server ends every connection of the store (a restart, an administrator, a
        // proxy's timeout).
        let admin = sqlx::PgPool::connect(&url).await.unwrap();
        let (ended,): (i64,) = sqlx::query_as(
            "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity
              WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_one(&admin)
        .await
        .unwrap();
        assert!(ended >= 1);
        tokio::time::sleep(PG_TRUSTED_IDLE + Duration::from_millis(500)).await;
        let after = pid(&pg.pool).await;
        assert_ne!(after, before, "the statement ran on a new connection");
    }
}
