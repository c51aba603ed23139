//! The tests' own connection on a store's database, on either backend, for assertions the
//! store has no query for (the store keeps its connections to itself). Queries are written
//! in SQLite's dialect with the portable rules of the store (TRUE/FALSE for flags, BIGINT for
//! what is read as i64) and rewritten by `store::dialect::pg` on PostgreSQL, so one
//! assertion checks both backends.

use sqlx::postgres::{PgPoolOptions, PgRow};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions, SqliteRow};
use sqlx::{PgPool, SqlitePool};
use workflow_engine::store::Store;

/// A connection on the SQLite file (read-only unless asked) or on the PostgreSQL database.
pub enum TestDb {
    Lite(SqlitePool),
    Pg(PgPool),
}

/// A bound value: the few types the tests bind.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Int(i64),
    Bool(bool),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Text(s.to_string())
    }
}

impl From<&String> for Arg {
    fn from(s: &String) -> Arg {
        Arg::Text(s.clone())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Text(s)
    }
}

impl From<i64> for Arg {
    fn from(n: i64) -> Arg {
        Arg::Int(n)
    }
}

impl From<bool> for Arg {
    fn from(b: bool) -> Arg {
        Arg::Bool(b)
    }
}

/// A read-only connection on `store`'s database (on PostgreSQL: a connection of its own).
pub async fn db(store: &Store) -> TestDb {
    TestDb::open(store, false).await
}

/// A connection that may write, for tests that set a row up the way another process would.
pub async fn db_writer(store: &Store) -> TestDb {
    TestDb::open(store, true).await
}

/// Binds `args` to a query of any of sqlx's builders (they share `bind` but no trait).
macro_rules! bound {
    ($query:expr, $args:expr) => {{
        let mut q = $query;
        for arg in $args {
            q = match arg.clone() {
                Arg::Text(s) => q.bind(s),
                Arg::Int(n) => q.bind(n),
                Arg::Bool(b) => q.bind(b),
            };
        }
        q
    }};
}

impl TestDb {
    pub async fn open(store: &Store, write: bool) -> TestDb {
        match store.database_url() {
            Some(url) if store.backend() == "postgres" => TestDb::Pg(
                PgPoolOptions::new()
                    .max_connections(1)
                    .connect(url)
                    .await
                    .expect("connect to the PostgreSQL database"),
            ),
            _ => {
                let options = SqliteConnectOptions::new()
                    .filename(store.data_dir().join(workflow_engine::store::DB_FILE))
                    .read_only(!write);
                TestDb::Lite(
                    SqlitePoolOptions::new()
                        .max_connections(1)
                        .connect_with(options)
                        .await
                        .expect("open the database"),
                )
            }
        }
    }

    /// Every row of `sql` (SQLite's dialect) with `args` bound.
    pub async fn all<T>(&self, sql: &str, args: &[Arg]) -> Vec<T>
    where
        T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
    {
        let got = match self {
            TestDb::Lite(pool) => bound!(sqlx::query_as(sql), args).fetch_all(pool).await,
            TestDb::Pg(pool) => {
                let sql = workflow_engine::store::dialect::pg(sql);
                bound!(sqlx::query_as(&sql), args).fetch_all(pool).await
            }
        };
        got.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The one row of `sql`; panics when there is none.
    pub async fn one<T>(&self, sql: &str, args: &[Arg]) -> T
    where
        T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
    {
        self.optional(sql, args)
            .await
            .unwrap_or_else(|| panic!("{sql}: no row"))
    }

    /// The first row of `sql`, if any.
    pub async fn optional<T>(&self, sql: &str, args: &[Arg]) -> Option<T>
    where
        T: for<'r> sqlx::FromRow<'r, SqliteRow> + for<'r> sqlx::FromRow<'r, PgRow> + Send + Unpin,
    {
        let got = match self {
            TestDb::Lite(pool) => bound!(sqlx::query_as(sql), args).fetch_optional(pool).await,
            TestDb::Pg(pool) => {
                let sql = workflow_engine::store::dialect::pg(sql);
                bound!(sqlx::query_as(&sql), args).fetch_optional(pool).await
            }
        };
        got.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// The one integer `sql` selects (a COUNT(*), or a CAST(… AS BIGINT)).
    pub async fn count(&self, sql: &str, args: &[Arg]) -> i64 {
        self.one::<(i64,)>(sql, args).await.0
    }

    /// Runs a statement that writes; the rows it changed.
    pub async fn execute(&self, sql: &str, args: &[Arg]) -> u64 {
        let done = match self {
            TestDb::Lite(pool) => bound!(sqlx::query(sql), args)
                .execute(pool)
                .await
                .map(|r| r.rows_affected()),
            TestDb::Pg(pool) => {
                let sql = workflow_engine::store::dialect::pg(sql);
                bound!(sqlx::query(&sql), args)
                    .execute(pool)
                    .await
                    .map(|r| r.rows_affected())
            }
        };
        done.unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}
