//! Why an agent attempt failed, named so that the engine knows what to retry.
//!
//! The CLI's structured evidence decides first: the HTTP status it reports, its terminal
//! event's subtype, its exit status. Free text is read only where the CLI gives nothing else,
//! and only the terminal event's error text (never stderr, never an answer), matched on the
//! CLIs' own phrasings: a word that merely appears in a tool's output or a crash's last lines
//! names nothing.

use std::fmt;

use super::{AgentKind, Final};

/// How an agent attempt failed. By default `RateLimit`, `Overloaded` and `Stalled` are retried.
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
    /// The CLI printed nothing for the step's `stallTimeout` and was stopped.
    Stalled,
    Cancelled,
    /// The answer does not match the step's `outputSchema`.
    InvalidOutput,
    /// The agent reported an error of another kind.
    Error,
}

impl FailureKind {
    pub const ALL: [FailureKind; 10] = [
        FailureKind::Auth,
        FailureKind::RateLimit,
        FailureKind::Overloaded,
        FailureKind::MaxTurns,
        FailureKind::Crashed,
        FailureKind::TimedOut,
        FailureKind::Stalled,
        FailureKind::Cancelled,
        FailureKind::InvalidOutput,
        FailureKind::Error,
    ];

    /// The kind `as_str` names.
    pub fn parse(name: &str) -> Option<FailureKind> {
        FailureKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Auth => "auth",
            FailureKind::RateLimit => "rate_limit",
            FailureKind::Overloaded => "overloaded",
            FailureKind::MaxTurns => "max_turns",
            FailureKind::Crashed => "crashed",
            FailureKind::TimedOut => "timed_out",
            FailureKind::Stalled => "stalled",
            FailureKind::Cancelled => "cancelled",
            FailureKind::InvalidOutput => "invalid_output",
            FailureKind::Error => "error",
        }
    }

    pub fn retryable(self) -> bool {
        // A CLI that went silent is most often stuck on a network call that a new try gets past.
        matches!(
            self,
            FailureKind::RateLimit | FailureKind::Overloaded | FailureKind::Stalled
        )
    }
}

impl fmt::Display for FailureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What is known about a failed attempt.
pub struct Evidence<'a> {
    pub agent: AgentKind,
    /// The CLI's terminal event, if it printed one.
    pub final_event: Option<&'a Final>,
    /// `None` when a signal ended the CLI.
    pub exit_code: Option<i32>,
}

/// The CLIs' own phrasings of a failure, for error texts that carry no status or subtype.
const PHRASES: &[(FailureKind, &[&str])] = &[
    (
        FailureKind::Auth,
        &[
            "invalid api key",
            "invalid x-api-key",
            "api key not valid",
            "not logged in",
            "please run /login",
        ],
    ),
    (
        FailureKind::RateLimit,
        &[
            "rate_limit_error",
            "too many requests",
            "resource has been exhausted",
            "resource_exhausted",
            "usage limit reached",
            "hit your usage limit",
        ],
    ),
    (
        FailureKind::Overloaded,
        &["overloaded_error", "model is overloaded", "service unavailable"],
    ),
    (
        FailureKind::MaxTurns,
        &["reached maximum number of turns", "maximum session turns exceeded"],
    ),
];

/// Names the failure: structured evidence first, then the terminal event's error text.
pub fn classify(e: &Evidence<'_>) -> FailureKind {
    let exit = exit_meaning(e.agent, e.exit_code);
    let Some(f) = e.final_event else {
        // Without its terminal event the CLI gave no verdict: whatever stderr mentions, the
        // process crashed (unless its exit status has a documented meaning).
        return exit.unwrap_or(FailureKind::Crashed);
    };
    let from_text = || {
        let text = f.text.as_deref().filter(|_| f.is_error)?;
        http_status(text).and_then(status_kind).or_else(|| phrase_kind(text))
    };
    f.api_status
        .and_then(status_kind)
        .or_else(|| f.subtype.as_deref().and_then(subtype_kind))
        .or(exit)
        .or_else(from_text)
        .unwrap_or(FailureKind::Error)
}

fn status_kind(status: u16) -> Option<FailureKind> {
    match status {
        401 | 403 => Some(FailureKind::Auth),
        429 => Some(FailureKind::RateLimit),
        502 | 503 | 529 => Some(FailureKind::Overloaded),
        _ => None,
    }
}

/// Claude's result subtypes and Gemini's error types.
fn subtype_kind(subtype: &str) -> Option<FailureKind> {
    match subtype {
        "error_max_turns" | "FatalTurnLimitedError" => Some(FailureKind::MaxTurns),
        "error_max_structured_output_retries" => Some(FailureKind::InvalidOutput),
        "FatalAuthenticationError" => Some(FailureKind::Auth),
        _ => None,
    }
}

/// Exit codes with a documented meaning: Gemini's (Claude and Codex exit 1 for everything).
fn exit_meaning(agent: AgentKind, code: Option<i32>) -> Option<FailureKind> {
    match (agent, code?) {
        (AgentKind::Gemini, 41) => Some(FailureKind::Auth),
        (AgentKind::Gemini, 53) => Some(FailureKind::MaxTurns),
        _ => None,
    }
}

/// The HTTP status an error text reports: `API Error: 429` (Claude), `unexpected status 401`
/// and `last status: 429` (Codex), `status 503` (Gemini).
fn http_status(text: &str) -> Option<u16> {
    let lower = text.to_ascii_lowercase();
    ["api error: ", "status: ", "status "].iter().find_map(|marker| {
        lower.match_indices(marker).find_map(|(at, m)| {
            let word_start = lower[..at]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
            let rest = &lower[at + m.len()..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            (word_start && digits == 3).then(|| rest[..3].parse().ok()).flatten()
        })
    })
}

fn phrase_kind(text: &str) -> Option<FailureKind> {
    let lower = text.to_ascii_lowercase();
    PHRASES
        .iter()
        .find(|(_, phrases)| phrases.iter().any(|p| lower.contains(p)))
        .map(|(kind, _)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failed terminal event.
    fn fin(text: &str, subtype: Option<&str>, api_status: Option<u16>) -> Final {
        Final {
            is_error: true,
            text: Some(text.to_string()),
            subtype: subtype.map(str::to_string),
            api_status,
            ..Final::default()
        }
    }

    fn kind(agent: AgentKind, f: Option<&Final>, exit_code: Option<i32>) -> FailureKind {
        classify(&Evidence {
            agent,
            final_event: f,
            exit_code,
        })
    }

    #[test]
    fn each_cli_s_own_words_are_named() {
        use FailureKind as K;
        let by_text: &[(FailureKind, &[&str])] = &[
            (
                K::Auth,
                &[
                    "Invalid API key · Fix external API key",
                    "Not logged in · Please run /login",
                    "unexpected status 401 Unauthorized",
                ],
            ),
            (
                K::RateLimit,
                &[
                    "API Error: 429 {...}",
                    "exceeded retry limit, last status: 429 Too Many Requests",
                    "[API Error: Resource has been exhausted (e.g. check quota).]",
                ],
            ),
            (
                K::Overloaded,
                &[
                    "unexpected status 503 Service Unavailable: overloaded",
                    "The model is overloaded. Please try again later.",
                ],
            ),
            (K::MaxTurns, &["Reached maximum number of turns (3)"]),
            (
                K::Error,
                &["Tool execution failed: boom", "API Error: 500 Internal server error"],
            ),
        ];
        for (expected, texts) in by_text {
            for text in *texts {
                for agent in AgentKind::ALL {
                    assert_eq!(kind(agent, Some(&fin(text, None, None)), Some(1)), *expected, "{text}");
                }
            }
        }
    }

    #[test]
    fn structured_evidence_wins_over_the_words() {
        use FailureKind as K;
        let structured = [
            (fin("API Error", Some("success"), Some(429)), K::RateLimit),
            (fin("API Error", Some("success"), Some(529)), K::Overloaded),
            (fin("rate limit", Some("success"), Some(401)), K::Auth),
            (fin("x", Some("error_max_turns"), None), K::MaxTurns),
            (
                fin("x", Some("error_max_structured_output_retries"), None),
                K::InvalidOutput,
            ),
            (
                fin("invalid api key", Some("error_max_structured_output_retries"), None),
                K::InvalidOutput,
            ),
        ];
        for (f, expected) in &structured {
            assert_eq!(kind(AgentKind::Claude, Some(f), Some(1)), *expected, "{f:?}");
        }
    }

    #[test]
    fn gemini_s_exit_codes_name_turns_and_auth() {
        use FailureKind as K;
        let turns = fin("Maximum session turns exceeded", Some("FatalTurnLimitedError"), None);
        assert_eq!(kind(AgentKind::Gemini, Some(&turns), Some(53)), K::MaxTurns);
        assert_eq!(
            kind(AgentKind::Gemini, Some(&fin("x", None, None)), Some(53)),
            K::MaxTurns
        );
        assert_eq!(
            kind(AgentKind::Gemini, None, Some(41)),
            K::Auth,
            "Gemini's auth exit code"
        );
    }

    #[test]
    fn rate_limit_and_overload_are_retried_auth_crash_and_max_turns_are_not() {
        use FailureKind as K;
        assert!(K::RateLimit.retryable() && K::Overloaded.retryable());
        assert!(!K::Auth.retryable() && !K::Crashed.retryable() && !K::MaxTurns.retryable());
    }

    #[test]
    fn text_that_merely_mentions_a_kind_names_nothing() {
        use AgentKind::*;
        let mentions = [
            "grep -rn rate_limit src/ found 3 matches",
            "cannot parse quota.toml: the api_key field is missing",
            "Tool execution failed: test `retries_on_429` failed; see 429 lines above",
            "the status 4290 field is unknown; exit_status 429",
            "overloaded constructor is ambiguous; unauthorized_user fixture missing",
        ];
        for text in mentions {
            for agent in AgentKind::ALL {
                assert_eq!(
                    kind(agent, Some(&fin(text, None, None)), Some(1)),
                    FailureKind::Error,
                    "{text}"
                );
            }
        }
        // No terminal event: stderr is a crash's last words, whatever they name.
        for exit in [Some(99), Some(1), Some(41), None] {
            assert_eq!(kind(Claude, None, exit), FailureKind::Crashed, "claude exit {exit:?}");
            assert_eq!(kind(Codex, None, exit), FailureKind::Crashed, "codex exit {exit:?}");
        }
        assert_eq!(kind(Gemini, None, Some(99)), FailureKind::Crashed);
        // An answer is never read as an error, even with a failing exit status.
        let answer = Final {
            is_error: false,
            text: Some("Fixed the 429 handling: rate limit errors (status 429) now retry".into()),
            ..Final::default()
        };
        assert_eq!(kind(Claude, Some(&answer), Some(1)), FailureKind::Error);
    }

    #[test]
    fn statuses_are_read_only_where_the_clis_write_them() {
        assert_eq!(http_status("API Error: 429 {}"), Some(429));
        assert_eq!(http_status("unexpected status 401 Unauthorized"), Some(401));
        assert_eq!(http_status("last status: 503"), Some(503));
        assert_eq!(http_status("[x] status 429"), Some(429));
        assert_eq!(http_status("exit_status 429"), None);
        assert_eq!(http_status("status 4290"), None);
        assert_eq!(http_status("status 42"), None);
        assert_eq!(http_status("429 matches"), None);
    }
}
