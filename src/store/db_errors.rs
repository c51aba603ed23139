//! What a database error means, asked the same way on both backends: a unique violation is
//! SQLite's extended code 2067 (UNIQUE) or 1555 (PRIMARY KEY) and PostgreSQL's SQLSTATE
//! 23505 (and a full disk SQLITE_FULL or 53100); callers ask `StoreError::is_unique_violation`
//! or `is_disk_full` and never see the codes.

use super::{DbError, Driver, StoreError};

impl StoreError {
    /// The disk (or the database's size limit) is full: the API answers 507, not 500.
    pub fn is_disk_full(&self) -> bool {
        match self {
            StoreError::Sql(DbError(Driver::Sqlx(sqlx::Error::Database(e)))) => {
                // SQLITE_FULL, or PostgreSQL's disk_full (53100).
                matches!(e.code().as_deref(), Some("13" | "53100")) || e.message().contains("database or disk is full")
            }
            StoreError::Sql(DbError(Driver::Sqlx(sqlx::Error::Io(e)))) => e.raw_os_error() == Some(libc::ENOSPC),
            StoreError::Sql(DbError(Driver::Direct(rusqlite::Error::SqliteFailure(e, _)))) => {
                e.code == rusqlite::ErrorCode::DiskFull
            }
            _ => false,
        }
    }

    /// A row with the same unique key exists already (another request made it first): the
    /// API answers 409, not 500.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sql(DbError(Driver::Sqlx(sqlx::Error::Database(e)))) => e.is_unique_violation(),
            StoreError::Sql(DbError(Driver::Direct(rusqlite::Error::SqliteFailure(e, _)))) => {
                e.code == rusqlite::ErrorCode::ConstraintViolation
                    && matches!(
                        e.extended_code,
                        rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                    )
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::store::users::UserRow;
    use crate::store::Store;

    /// On the backend the tests run on (`WORKFLOW_ENGINE_TEST_PG=1`: PostgreSQL).
    #[tokio::test]
    async fn a_second_row_with_a_unique_key_is_a_unique_violation_and_other_errors_are_not() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open_for_test(dir.path()).await.unwrap();
        UserRow::create(&store, "ann@example.com", None, "hash", false)
            .await
            .unwrap();
        // The unique index ignores case, on both backends.
        let again = UserRow::create(&store, "ANN@example.com", None, "hash", false)
            .await
            .expect_err("the email is taken");
        assert!(again.is_unique_violation(), "{again}");
        assert!(!again.is_disk_full(), "{again}");
        let missing = UserRow::get(&store, "nobody").await;
        assert!(missing.as_ref().is_ok_and(Option::is_none), "{missing:?}");
        let not_found = crate::store::StoreError::NotFound("run x".into());
        assert!(!not_found.is_unique_violation());
    }
}
