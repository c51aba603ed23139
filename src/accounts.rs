//! Accounts and their passwords: argon2 hashes, the rules a new password must meet, and a
//! check that costs the same whether or not the account exists. The CLI creates accounts,
//! the server checks their passwords at sign-in.

use std::sync::LazyLock;

use argon2::password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

use crate::store::users::UserRow;
use crate::store::{Store, StoreError};

/// The shortest password accepted, in characters.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// The longest email address there can be (RFC 5321).
const MAX_EMAIL_BYTES: usize = 254;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("'{0}' is not an email address")]
    InvalidEmail(String),
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters (it has {0})")]
    PasswordTooShort(usize),
    #[error("the password must not be only spaces")]
    PasswordBlank,
    #[error("a user with email {0} already exists (emails are compared ignoring case)")]
    EmailTaken(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A password is at least `MIN_PASSWORD_CHARS` characters and not only whitespace.
pub fn check_password(password: &str) -> Result<(), AccountError> {
    if password.trim().is_empty() {
        return Err(AccountError::PasswordBlank);
    }
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(AccountError::PasswordTooShort(chars));
    }
    Ok(())
}

pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 hashing")
        .to_string()
}

/// A hash no password matches, checked for unknown emails so that they take as long as a
/// wrong password (otherwise the time of a 401 tells which emails have accounts).
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| hash_password("no account has this password"));

/// Hashes the dummy now rather than in the first unknown-email sign-in.
pub fn prepare() {
    LazyLock::force(&DUMMY_HASH);
}

/// Whether `password` is the user's; `None` (no such user) costs the same and is false.
pub fn verify(password: &str, user: Option<&UserRow>) -> bool {
    let hash = user.map_or(DUMMY_HASH.as_str(), |u| u.password_hash.as_str());
    let matches = PasswordHash::new(hash)
        .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
        .unwrap_or(false);
    matches && user.is_some()
}

/// Creates a user from the CLI or a test.
pub async fn create_user(
    store: &Store,
    email: &str,
    password: &str,
    name: Option<&str>,
    admin: bool,
) -> Result<UserRow, AccountError> {
    let email = email.trim();
    if !email.contains('@') || email.chars().any(char::is_whitespace) || email.len() > MAX_EMAIL_BYTES {
        return Err(AccountError::InvalidEmail(email.to_string()));
    }
    check_password(password)?;
    if UserRow::by_email(store, email).await?.is_some() {
        return Err(AccountError::EmailTaken(email.to_string()));
    }
    // Another process may have made the same account since the check.
    UserRow::create(store, email, name, &hash_password(password), admin)
        .await
        .map_err(|e| match e.is_unique_violation() {
            true => AccountError::EmailTaken(email.to_string()),
            false => e.into(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_need_twelve_characters_that_are_not_all_spaces() {
        assert!(matches!(
            check_password("elevenchars"),
            Err(AccountError::PasswordTooShort(11))
        ));
        assert!(matches!(
            check_password("            "),
            Err(AccountError::PasswordBlank)
        ));
        // Characters, not bytes: twelve accented letters are enough, six are not.
        assert!(check_password("éééééééééééé").is_ok());
        assert!(matches!(
            check_password("éééééé"),
            Err(AccountError::PasswordTooShort(6))
        ));
        assert!(check_password("twelve chars").is_ok());
    }
}
