//! How a store function reaches its backend: a query written once (in SQLite's dialect) and
//! compiled for each backend's pool, SQLite's or PostgreSQL's.

/// Runs `$body` with `$pool` bound to the store's pool (`$lite`: SQLite's writer `pool` or its
/// readers `read`; PostgreSQL has one pool) and `$sql` the query `$text` in the backend's
/// dialect (`dialect::pg`). The body is compiled once per backend; what it yields must be the
/// same type for both (`rows_affected()`, not the driver's result).
macro_rules! on_pool {
    ($lite:ident, $store:expr, $text:expr, |$pool:ident, $sql:ident| $body:expr) => {
        match &$store.db {
            $crate::store::Db::Lite(lite) => {
                let $pool = &lite.$lite;
                let $sql: &str = &$text;
                let out = $body;
                out
            }
            $crate::store::Db::Pg(pg) => {
                let $pool = &pg.pool;
                let owned = $crate::store::dialect::pg(&$text);
                let $sql: &str = &owned;
                let out = $body;
                out
            }
        }
    };
    ($lite:ident, $store:expr, |$pool:ident| $body:expr) => {
        match &$store.db {
            $crate::store::Db::Lite(lite) => {
                let $pool = &lite.$lite;
                let out = $body;
                out
            }
            $crate::store::Db::Pg(pg) => {
                let $pool = &pg.pool;
                let out = $body;
                out
            }
        }
    };
}

/// `on_pool` on the connections that write (and read what they are about to change).
macro_rules! on_db {
    ($($args:tt)*) => { on_pool!(pool, $($args)*) };
}

/// `on_pool` on the connections that only read (SQLite's readers beside its writer; the same
/// pool on PostgreSQL).
macro_rules! on_read {
    ($($args:tt)*) => { on_pool!(read, $($args)*) };
}

/// Runs `$body` with `$pool` PostgreSQL's pool, for code written for PostgreSQL only (the
/// counterpart of SQLite's `write_now`); the caller checked `!store.is_lite()`.
macro_rules! on_pg {
    ($store:expr, |$pool:ident| $body:expr) => {
        match &$store.db {
            $crate::store::Db::Pg(pg) => {
                let $pool = &pg.pool;
                let out = $body;
                out
            }
            $crate::store::Db::Lite(_) => unreachable!("PostgreSQL's code on SQLite"),
        }
    };
}

/// Runs `$body` with `$conn` (`&mut PgConnection`) PostgreSQL's hot connection, or a pooled
/// one while another statement has it (`pg_hot`), and `$sql` the query `$text` (a constant)
/// in PostgreSQL's dialect, rewritten once per call site rather than at every step's end:
/// for the one statement of a step's end. The body yields a `Result<_, sqlx::Error>`; the
/// caller checked `!store.is_lite()`.
macro_rules! on_pg_hot {
    ($store:expr, $text:expr, |$conn:ident, $sql:ident| $body:expr) => {
        match &$store.db {
            $crate::store::Db::Pg(pg) => {
                static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
                let $sql: &str = SQL.get_or_init(|| $crate::store::dialect::pg(&$text));
                let mut taken = pg.hot.take(&pg.pool).await?;
                let $conn = taken.conn(&pg.url).await?;
                let out = $body;
                taken.done(&out);
                out
            }
            $crate::store::Db::Lite(_) => unreachable!("PostgreSQL's code on SQLite"),
        }
    };
}
