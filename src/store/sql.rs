//! A query built piece by piece (the run list's and the board's filters), for either
//! backend: the text is SQLite's dialect with `?` for each value, translated with the rest
//! (`dialect::pg`) on PostgreSQL.

use super::{Result, Store};

/// One bound value.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Int(i64),
    Null,
}

impl From<Option<&str>> for Arg {
    fn from(v: Option<&str>) -> Arg {
        v.map_or(Arg::Null, Arg::from)
    }
}

impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(v.to_string())
    }
}

impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(v)
    }
}

impl From<&String> for Arg {
    fn from(v: &String) -> Arg {
        Arg::Text(v.clone())
    }
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(v)
    }
}

impl From<crate::domain::RunStatus> for Arg {
    fn from(v: crate::domain::RunStatus) -> Arg {
        Arg::Text(v.as_str().to_string())
    }
}

#[derive(Debug, Default)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
    pg: bool,
}

impl Sql {
    pub fn new(store: &Store, text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
            pg: !store.is_lite(),
        }
    }

    /// Whether the query will run on PostgreSQL (for the rare clause written per backend).
    pub fn is_pg(&self) -> bool {
        self.pg
    }

    pub fn push(&mut self, text: impl AsRef<str>) -> &mut Sql {
        self.text.push_str(text.as_ref());
        self
    }

    pub fn push_bind(&mut self, value: impl Into<Arg>) -> &mut Sql {
        self.text.push('?');
        self.args.push(value.into());
        self
    }

    /// Runs the query on the readers and reads every row as `T`.
    pub async fn fetch_all<T>(&self, store: &Store) -> Result<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        Ok(on_read!(store, self.text, |pool, sql| {
            let mut q = sqlx::query_as::<_, T>(sql);
            for a in &self.args {
                q = match a {
                    Arg::Text(s) => q.bind(s.as_str()),
                    Arg::Int(n) => q.bind(*n),
                    Arg::Null => q.bind(None::<&str>),
                };
            }
            q.fetch_all(pool).await
        })?)
    }
}
