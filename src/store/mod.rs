//! The database: one SQLite file shared by every project, or one PostgreSQL database shared
//! by every engine node (`DATABASE_URL`); the truth about every run.
//!
//! One file per table with its row type and queries (`runs`, `steps`, ...); `files` owns the
//! `.agent/workflows/executions/{runId}/` tree derived from it.
//!
//! Every query of the crate is here. The surface is the row types' associated functions
//! (`RunRow::get`, `RunRow::list(store, &RunFilter)`, `StepRow::begin`, `StepRow::finish`,
//! ...) taking a `&Store` and plain values: filters are plain structs, hot writes typed
//! operations, results rows, errors `StoreError`. No sqlx or rusqlite type crosses it: the
//! pools and the hot write connection are private, and each function works on either backend
//! (`macros`: a query written once, compiled for each pool).

#[macro_use]
mod macros;

pub mod agent_sessions;
pub mod artifacts;
pub mod attempts;
pub mod board;
pub mod budgets;
pub mod claims;
pub mod comments;
pub mod concurrency;
mod db_errors;
pub mod definitions;
pub mod dialect;
pub mod events;
pub mod fence;
pub mod files;
pub mod git_exclude;
pub mod listen;
pub mod nodes;
mod pg_hot;
mod pg_pool;
pub mod private;
pub mod projects;
#[cfg(test)]
mod race_tests;
pub mod reruns;
pub mod retry_waits;
pub mod revoked_tokens;
pub mod run_list;
pub mod runs;
#[cfg(test)]
mod schema_checks;
pub mod secrets;
pub mod snapshots;
pub mod sql;
pub mod steps;
pub mod steps_at_once;
pub mod users;
pub mod waits;
mod waits_open;
mod waits_pg;
pub mod workspaces;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::postgres::PgPool;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

/// Errors from the database layer.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    DataDir { path: PathBuf, source: std::io::Error },
    #[error("database error: {0}")]
    Sql(DbError),
    #[error("database migration failed: {0}")]
    Migrate(DbError),
    #[error("{0} not found")]
    NotFound(String),
    /// A write for a run whose lease another engine took over (`fence`).
    #[error("run {0}: its lease was taken over by another engine; this one records nothing more for it")]
    Fenced(String),
}

/// What the database driver reported, opaque so that no driver type is part of the
/// store's surface (`StoreError::is_disk_full` asks it the one question callers have).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DbError(Driver);

#[derive(Debug, thiserror::Error)]
enum Driver {
    #[error(transparent)]
    Sqlx(sqlx::Error),
    #[error(transparent)]
    Direct(rusqlite::Error),
    #[error(transparent)]
    Migrate(sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        StoreError::Sql(DbError(Driver::Sqlx(e)))
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError::Sql(DbError(Driver::Direct(e)))
    }
}

impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(e: sqlx::migrate::MigrateError) -> StoreError {
        StoreError::Migrate(DbError(Driver::Migrate(e)))
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// File name of the database inside the data directory.
pub const DB_FILE: &str = "workflow-engine.db";
/// The lock that orders two processes' migrations (`migration_lock`).
const MIGRATION_LOCK: &str = "migrate.lock";

/// A cheap-to-clone handle on the database.
#[derive(Clone, Debug)]
pub struct Store {
    db: Db,
    /// The runs this process drives, whose writes are fenced (`fence`).
    fences: Arc<fence::Fences>,
    /// The data directory, which also holds the secrets' key (`secrets`).
    data_dir: Arc<PathBuf>,
}

/// The backend: SQLite in the data directory, or PostgreSQL.
#[derive(Clone, Debug)]
pub(crate) enum Db {
    Lite(Lite),
    Pg(Pg),
}

#[derive(Clone, Debug)]
pub(crate) struct Lite {
    /// sqlx pools are internally reference counted; cloning shares connections.
    /// The one connection that writes (and reads what it is about to change).
    pool: SqlitePool,
    /// Read-only connections for queries that only read.
    read: SqlitePool,
    /// The connection of the hot writes (`write_now`), used under this lock.
    hot: Arc<Mutex<rusqlite::Connection>>,
}

#[derive(Clone, Debug)]
pub(crate) struct Pg {
    pool: PgPool,
    /// Connections whose commits do not wait for the disk (`synchronous_commit = off`),
    /// for the writes a crash of the database server may lose without harm (`lazy_pool`).
    lazy: PgPool,
    /// The URL it was opened with (`LISTEN` opens a connection of its own).
    url: Arc<String>,
    /// The connection of a step's end, outside the pools (`pg_hot`).
    hot: Arc<pg_hot::Hot>,
}

impl Store {
    /// Opens (creating if needed) the database in `data_dir` and applies migrations.
    ///
    /// Opens the database `database_url` names (PostgreSQL), or without one the SQLite
    /// database in `data_dir` (`open`). The data directory is made either way: it holds the
    /// secrets' key and the server's files.
    pub async fn open_with(data_dir: &Path, database_url: Option<&str>) -> Result<Store> {
        match database_url.filter(|u| !u.trim().is_empty()) {
            None => Store::open(data_dir).await,
            Some(url) => Store::open_pg(data_dir, url).await,
        }
    }

    /// Opens (migrating if needed) the PostgreSQL database at `url`. Migrations take
    /// sqlx's advisory lock, so nodes starting at once apply each one once.
    pub async fn open_pg(data_dir: &Path, url: &str) -> Result<Store> {
        private::create_private_dir(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let pool = pg_pool::options().max_connections(16).connect(url).await?;
        sqlx::migrate!("./migrations-pg").run(&pool).await?;
        let lazy = pg_pool::options()
            .max_connections(4)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    sqlx::Executor::execute(&mut *conn, "SET synchronous_commit = off").await?;
                    Ok(())
                })
            })
            .connect_lazy(url)?;
        Ok(Store {
            db: Db::Pg(Pg {
                pool,
                lazy,
                url: Arc::new(url.to_string()),
                hot: Arc::default(),
            }),
            fences: Arc::default(),
            data_dir: Arc::new(data_dir.to_path_buf()),
        })
    }

    /// A store for a test: on the tests' own PostgreSQL when the suite runs on it
    /// (`testing::pg`), else SQLite in `data_dir`.
    #[doc(hidden)]
    pub async fn open_for_test(data_dir: &Path) -> Result<Store> {
        if crate::testing::pg::enabled() {
            let url = crate::testing::pg::fresh_database_url();
            Store::open_pg(data_dir, &url).await
        } else {
            Store::open(data_dir).await
        }
    }

    /// The backend's name: `sqlite` or `postgres`.
    pub fn backend(&self) -> &'static str {
        match self.db {
            Db::Lite(_) => "sqlite",
            Db::Pg(_) => "postgres",
        }
    }

    /// On PostgreSQL, the connections whose commits do not wait for the disk: for a step's
    /// start and the event journal. A crash of the database server (not of a node) may
    /// lose the last of those; a lost start only means the interrupted step runs again as
    /// if new, and any later commit that waits for the disk (a step's end, the memo) makes
    /// every earlier one durable with it. None on SQLite.
    pub(crate) fn lazy_pool(&self) -> Option<&PgPool> {
        match &self.db {
            Db::Lite(_) => None,
            Db::Pg(pg) => Some(&pg.lazy),
        }
    }

    /// PostgreSQL's URL, None on SQLite.
    pub fn database_url(&self) -> Option<&str> {
        match &self.db {
            Db::Lite(_) => None,
            Db::Pg(pg) => Some(&pg.url),
        }
    }

    /// WAL with `synchronous=NORMAL`: a committed transaction survives the process being
    /// killed at any point (not a power loss), which is the promise the engine makes.
    pub async fn open(data_dir: &Path) -> Result<Store> {
        create_private_files(data_dir).map_err(|source| StoreError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        let options = SqliteConnectOptions::from_str("sqlite://")?
            .filename(data_dir.join(DB_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        // SQLite has no advisory lock for sqlx to take: two processes starting at once (a
        // `run` beside a `serve`) would both apply a new migration. A file lock orders them.
        let lock = migration_lock(data_dir).await.map_err(|source| StoreError::DataDir {
            path: data_dir.to_path_buf(),
            source,
        })?;
        migrate(&options).await?;
        drop(lock);
        // Two connections write: this one, where writers queue in the process, and the hot
        // one of `write_now`. Each has a busy handler that retries within microseconds.
        // No ping before each use (`test_before_acquire`): it is a round trip to the
        // connection's thread per query, and a local SQLite file does not drop connections.
        // Connections are never recycled, so the statements each has prepared stay cached.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .after_connect(|conn, _| {
                Box::pin(async move {
                    let mut handle = conn.lock_handle().await?;
                    // SAFETY: the handle is open and locked for us while the guard lives.
                    unsafe { set_busy_handler(handle.as_raw_handle().as_ptr().cast()) };
                    Ok(())
                })
            })
            .connect_with(options.clone())
            .await?;
        // Readers (the API's lists, the WebSocket's journal tail) have their own connections:
        // in WAL mode they read beside the writer without waiting for it.
        let read = SqlitePoolOptions::new()
            .max_connections(4)
            .test_before_acquire(false)
            .connect_with(options.read_only(true))
            .await?;
        let hot = open_hot(&data_dir.join(DB_FILE))?;
        Ok(Store {
            db: Db::Lite(Lite {
                pool,
                read,
                hot: Arc::new(Mutex::new(hot)),
            }),
            fences: Arc::default(),
            data_dir: Arc::new(data_dir.to_path_buf()),
        })
    }

    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

/// The query text `sql` (SQLite's dialect) in the dialect of the pool's backend, for the
/// statements of a transaction written inside `on_db!(store, |pool| ...)`.
pub(crate) trait Dialect {
    fn sql<'s>(&self, sql: &'s str) -> std::borrow::Cow<'s, str>;
}

impl Dialect for &SqlitePool {
    fn sql<'s>(&self, sql: &'s str) -> std::borrow::Cow<'s, str> {
        std::borrow::Cow::Borrowed(sql)
    }
}

impl Dialect for &PgPool {
    fn sql<'s>(&self, sql: &'s str) -> std::borrow::Cow<'s, str> {
        std::borrow::Cow::Owned(dialect::pg(sql))
    }
}

impl Store {
    /// Runs `statements` on the hot write connection, on this thread, while holding it.
    ///
    /// sqlx hands every statement to its connection's own thread and the rows back through
    /// channels, a round trip of thread wake-ups per statement. The hot writes (a step's begin
    /// and end, the event journal) run here instead, on a connection of their own whose
    /// prepared statements stay cached (preparing the step upsert, with its conflict clause,
    /// foreign keys and trigger, costs several times more than running it). Each call
    /// commits on its own, as through sqlx.
    ///
    /// SQLite only: on PostgreSQL the same functions run their statements through sqlx.
    fn write_now<T>(&self, statements: impl FnOnce(&rusqlite::Connection) -> rusqlite::Result<T>) -> Result<T> {
        let Db::Lite(lite) = &self.db else {
            unreachable!("write_now is SQLite's; PostgreSQL's writes go through sqlx")
        };
        let db = lite.hot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        Ok(statements(&db)?)
    }

    /// Whether this store is SQLite (the hot writes run through `write_now`).
    pub(crate) fn is_lite(&self) -> bool {
        matches!(self.db, Db::Lite(_))
    }
}

/// The row of an `INSERT/UPDATE … RETURNING` read with sqlx's `fetch_all`: SQLite commits
/// an autocommit statement when it runs to its end, and sqlx's `fetch_one`/`fetch_optional`
/// stop after the first row, so a commit that then fails (a full disk) went unreported and
/// the caller held a row that was never stored. Read to the end, the failure is an error.
fn first_row<T>(rows: Vec<T>) -> Option<T> {
    rows.into_iter().next()
}

/// As `first_row`, for a statement that must yield a row.
fn only_row<T>(rows: Vec<T>) -> Result<T> {
    first_row(rows).ok_or_else(|| sqlx::Error::RowNotFound.into())
}

/// Runs a `... RETURNING` statement on the hot connection to its end, with its first row
/// if it yields one (none: a fenced write). Outside a transaction SQLite commits when the
/// statement finishes, so the commit's error (a full disk) comes from the step after the
/// row, which must not be skipped.
fn first_direct<T>(
    statement: &mut rusqlite::Statement<'_>,
    params: impl rusqlite::Params,
    row: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<Option<T>> {
    let mut rows = statement.query(params)?;
    let value = match rows.next()? {
        Some(r) => Some(row(r)?),
        None => None,
    };
    while rows.next()?.is_some() {}
    Ok(value)
}

/// The data directory 0700 and the database 0600, created so or tightened. SQLite creates
/// the WAL and SHM files with the database file's mode; older ones are tightened here too.
fn create_private_files(data_dir: &Path) -> std::io::Result<()> {
    private::create_private_dir(data_dir)?;
    let db = data_dir.join(DB_FILE);
    // Opened only to create it: closing any descriptor of a file drops every POSIX lock this
    // process holds on it, so opening the database of a Store already open here (a second
    // `Store::open`, as tests do beside running CLI processes) would silently release that
    // Store's SQLite locks, and another process could then checkpoint the WAL under it.
    if std::fs::symlink_metadata(&db).is_err() {
        private::private_file_options().create(true).append(true).open(&db)?;
    }
    // `jwt-secret` is the server's (`http::auth`); an older one is tightened with the rest.
    for file in [
        DB_FILE,
        "workflow-engine.db-wal",
        "workflow-engine.db-shm",
        MIGRATION_LOCK,
        "jwt-secret",
    ] {
        private::tighten(&data_dir.join(file), private::PRIVATE_FILE_MODE)?;
    }
    Ok(())
}

/// Applies the migrations on a connection of its own, closed afterwards: a migration that
/// edits a table's stored definition (`20261205130000_waits.sql`) leaves no connection that
/// read the old one.
async fn migrate(options: &SqliteConnectOptions) -> Result<()> {
    let migrator = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options.clone())
        .await?;
    let applied = sqlx::migrate!("./migrations").run(&migrator).await;
    migrator.close().await;
    Ok(applied?)
}

/// Opens the hot write connection (`Store::write_now`) on a migrated database.
fn open_hot(file: &Path) -> Result<rusqlite::Connection> {
    use rusqlite::OpenFlags;
    let db = rusqlite::Connection::open_with_flags(
        file,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    // As sqlx's connections: WAL is a property of the file, the rest of each connection.
    db.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")?;
    db.set_prepared_statement_cache_capacity(32);
    // SAFETY: a valid open handle, owned by `db`.
    unsafe { set_busy_handler(db.handle()) };
    Ok(db)
}

/// The two write connections (sqlx's and the hot one) take turns through SQLite's write
/// lock. SQLite's own busy handler sleeps whole milliseconds between tries, many times the
/// length of a write here; this one first retries every few tens of microseconds, then
/// every millisecond, and gives up after about ten seconds, as `busy_timeout` did.
///
/// # Safety
/// `db` must be an open connection handle.
unsafe fn set_busy_handler(db: *mut rusqlite::ffi::sqlite3) {
    extern "C" fn on_busy(_: *mut std::ffi::c_void, tries: std::ffi::c_int) -> std::ffi::c_int {
        const SHORT_TRIES: i32 = 1000;
        let pause = if tries < SHORT_TRIES {
            Duration::from_micros(20)
        } else if tries < SHORT_TRIES + 10_000 {
            Duration::from_millis(1)
        } else {
            return 0;
        };
        std::thread::sleep(pause);
        1
    }
    rusqlite::ffi::sqlite3_busy_handler(db, Some(on_busy), std::ptr::null_mut());
}

/// Waits for the data directory's migration lock; it is released when the file is dropped.
async fn migration_lock(data_dir: &Path) -> std::io::Result<std::fs::File> {
    let file = private::private_file_options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data_dir.join(MIGRATION_LOCK))?;
    tokio::task::spawn_blocking(move || {
        // Blocks until the lock is ours.
        crate::sys::fs::lock_exclusive(&file)?;
        Ok(file)
    })
    .await
    .map_err(std::io::Error::other)?
}

/// Current time as stored: RFC 3339, UTC, milliseconds.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A new row id: uuid v7, so ids sort by creation time.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().simple().to_string()
}
