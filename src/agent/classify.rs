//! Why an agent attempt failed, named so that the engine knows what to retry.

use std::fmt;

/// How an agent attempt failed. Only `RateLimit` and `Overloaded` are retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// Missing or rejected credentials.
    Auth,
    RateLimit,
    /// The provider is overloaded or unavailable (HTTP 529/503).
    Overloaded,
    MaxTurns,
    /// The CLI ended without its terminal event (a crash, a signal, a bad flag).
    Crashed,
    TimedOut,
    Cancelled,
    /// The answer does not match the step's `outputSchema`.
    InvalidOutput,
    /// The agent reported an error of another kind.
    Error,
}

impl FailureKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Auth => "auth",
            FailureKind::RateLimit => "rate_limit",
            FailureKind::Overloaded => "overloaded",
            FailureKind::MaxTurns => "max_turns",
            FailureKind::Crashed => "crashed",
            FailureKind::TimedOut => "timed_out",
            FailureKind::Cancelled => "cancelled",
            FailureKind::InvalidOutput => "invalid_output",
            FailureKind::Error => "error",
        }
    }

    pub fn retryable(self) -> bool {
        matches!(self, FailureKind::RateLimit | FailureKind::Overloaded)
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is known about a failed attempt.
pub struct Evidence<'a> {
    /// The terminal event's error text, or the stderr tail when there was none.
    pub text: &'a str,
    pub saw_final: bool,
    pub subtype: Option<&'a str>,
    pub api_status: Option<u16>,
    pub exit_code: Option<i32>,
}

/// Names the failure from the status code, the CLI's subtype and the words of its error.
pub fn classify(e: &Evidence<'_>) -> FailureKind {
    let text = e.text.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
    match e.api_status {
        Some(401 | 403) => return FailureKind::Auth,
        Some(429) => return FailureKind::RateLimit,
        Some(529 | 503 | 502) => return FailureKind::Overloaded,
        _ => {}
    }
    if matches!(e.subtype, Some("error_max_turns" | "FatalTurnLimitedError")) || e.exit_code == Some(53) {
        return FailureKind::MaxTurns;
    }
    if e.exit_code == Some(41)
        || has(&[
            "invalid api key",
            "401 unauthorized",
            "unauthorized",
            "authentication",
            "not logged in",
            "please run /login",
            "api key",
            "api_key",
            "login required",
            "403 forbidden",
        ])
    {
        return FailureKind::Auth;
    }
    if has(&[
        "rate limit",
        "rate_limit",
        "429",
        "too many requests",
        "resource has been exhausted",
        "resource_exhausted",
        "quota",
        "usage limit",
    ]) {
        return FailureKind::RateLimit;
    }
    if has(&["overloaded", "529", "503", "service unavailable", "try again later"]) {
        return FailureKind::Overloaded;
    }
    if has(&["maximum number of turns", "max turns", "maximum session turns"]) {
        return FailureKind::MaxTurns;
    }
    if e.saw_final {
        FailureKind::Error
    } else {
        FailureKind::Crashed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(
        text: &str,
        saw_final: bool,
        subtype: Option<&str>,
        api_status: Option<u16>,
        exit: Option<i32>,
    ) -> FailureKind {
        classify(&Evidence {
            text,
            saw_final,
            subtype,
            api_status,
            exit_code: exit,
        })
    }

    #[test]
    fn each_cli_s_words_are_named() {
        assert_eq!(
            kind(
                "Invalid API key · Fix external API key",
                true,
                Some("success"),
                None,
                Some(1)
            ),
            FailureKind::Auth
        );
        assert_eq!(
            kind("unexpected status 401 Unauthorized", true, None, None, Some(1)),
            FailureKind::Auth
        );
        assert_eq!(
            kind("GEMINI_API_KEY not found", false, None, None, Some(41)),
            FailureKind::Auth
        );
        assert_eq!(
            kind("API Error: 429 {...}", true, None, Some(429), Some(1)),
            FailureKind::RateLimit
        );
        assert_eq!(
            kind(
                "exceeded retry limit, last status: 429 Too Many Requests",
                true,
                None,
                None,
                Some(1)
            ),
            FailureKind::RateLimit
        );
        assert_eq!(
            kind(
                "[API Error: Resource has been exhausted (e.g. check quota).]",
                true,
                None,
                None,
                Some(1)
            ),
            FailureKind::RateLimit
        );
        assert_eq!(
            kind("API Error: 529 overloaded_error", true, None, Some(529), Some(1)),
            FailureKind::Overloaded
        );
        assert_eq!(
            kind(
                "The model is overloaded. Please try again later.",
                true,
                None,
                None,
                Some(1)
            ),
            FailureKind::Overloaded
        );
        assert_eq!(
            kind(
                "Reached maximum number of turns (3)",
                true,
                Some("error_max_turns"),
                None,
                Some(1)
            ),
            FailureKind::MaxTurns
        );
        assert_eq!(
            kind(
                "Maximum session turns exceeded",
                true,
                Some("FatalTurnLimitedError"),
                None,
                Some(53)
            ),
            FailureKind::MaxTurns
        );
        assert_eq!(
            kind("fatal: something went wrong", false, None, None, Some(1)),
            FailureKind::Crashed
        );
        assert_eq!(
            kind(
                "Tool execution failed: boom",
                true,
                Some("error_during_execution"),
                None,
                Some(1)
            ),
            FailureKind::Error
        );
        assert!(FailureKind::RateLimit.retryable() && FailureKind::Overloaded.retryable());
        assert!(
            !FailureKind::Auth.retryable() && !FailureKind::Crashed.retryable() && !FailureKind::MaxTurns.retryable()
        );
    }
}
