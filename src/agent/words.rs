//! A command line given as one string (an environment variable such as
//! `WORKFLOW_ENGINE_CLAUDE_ARGS`): POSIX shell quoting, or a JSON list of strings when the value
//! starts with `[`. No shell runs it, so nothing is expanded; a shell operator or expansion
//! outside quotes is refused rather than passed on silently.

use thiserror::Error;

/// Characters a shell would treat as syntax or expansion, never as part of a bare word.
const SHELL_SYNTAX: &[char] = &['|', '&', ';', '<', '>', '(', ')', '$', '`'];

#[derive(Debug, Clone, Error, PartialEq)]
pub enum WordsError {
    #[error("unterminated {quote} quote opened at character {at}")]
    Unterminated { quote: &'static str, at: usize },
    #[error("ends with a backslash that escapes nothing")]
    TrailingBackslash,
    #[error(
        "unquoted `{ch}` at character {at}: no shell reads this value, so quote the word that holds it \
         ('...' or \"...\") or give a JSON list of strings"
    )]
    Unquoted { ch: char, at: usize },
    #[error("is not a JSON list of strings: {0}")]
    Json(String),
}

/// The words of `line`: a JSON list of strings if it starts with `[`, else split by the
/// shell's quoting rules (whitespace separates words; `'...'` keeps everything; `"..."` keeps
/// everything but `\$`, `` \` ``, `\"`, `\\`; a backslash outside quotes keeps the next
/// character).
pub fn split(line: &str) -> Result<Vec<String>, WordsError> {
    if line.trim_start().starts_with('[') {
        return serde_json::from_str(line).map_err(|e| WordsError::Json(e.to_string()));
    }
    let mut words = Vec::new();
    // `None` between words, so that `''` still makes an (empty) word.
    let mut word: Option<String> = None;
    let mut chars = line.chars().enumerate();
    while let Some((i, c)) = chars.next() {
        let at = i + 1;
        match c {
            ' ' | '\t' | '\n' => words.extend(word.take()),
            '\\' => match chars.next() {
                Some((_, '\n')) => {}
                Some((_, next)) => word.get_or_insert_default().push(next),
                None => return Err(WordsError::TrailingBackslash),
            },
            '\'' => single_quoted(&mut chars, word.get_or_insert_default(), at)?,
            '"' => double_quoted(&mut chars, word.get_or_insert_default(), at)?,
            c if SHELL_SYNTAX.contains(&c) => return Err(WordsError::Unquoted { ch: c, at }),
            c => word.get_or_insert_default().push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

fn single_quoted(
    chars: &mut impl Iterator<Item = (usize, char)>,
    word: &mut String,
    at: usize,
) -> Result<(), WordsError> {
    for (_, c) in chars.by_ref() {
        if c == '\'' {
            return Ok(());
        }
        word.push(c);
    }
    Err(WordsError::Unterminated { quote: "single", at })
}

fn double_quoted(
    chars: &mut impl Iterator<Item = (usize, char)>,
    word: &mut String,
    at: usize,
) -> Result<(), WordsError> {
    let unterminated = WordsError::Unterminated { quote: "double", at };
    while let Some((_, c)) = chars.next() {
        match c {
            '"' => return Ok(()),
            '\\' => match chars.next().ok_or_else(|| unterminated.clone())?.1 {
                '\n' => {}
                next @ ('$' | '`' | '"' | '\\') => word.push(next),
                next => {
                    word.push('\\');
                    word.push(next);
                }
            },
            c => word.push(c),
        }
    }
    Err(unterminated)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(line: &str) -> Vec<String> {
        split(line).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    #[test]
    fn words_split_as_a_posix_shell_splits_them() {
        assert_eq!(ok(""), Vec::<String>::new());
        assert_eq!(ok("  \t "), Vec::<String>::new());
        assert_eq!(ok(" --bare  -v\t--x\n"), ["--bare", "-v", "--x"]);
        assert_eq!(
            ok(r#"--allowedTools="Bash(npm test)""#),
            ["--allowedTools=Bash(npm test)"]
        );
        assert_eq!(
            ok("--allowedTools='Bash(npm test)' x"),
            ["--allowedTools=Bash(npm test)", "x"]
        );
        assert_eq!(ok(r"a\ b c\(d\)"), ["a b", "c(d)"]);
        assert_eq!(ok(r"a\\b"), [r"a\b"]);
        assert_eq!(ok("'' \"\" x"), ["", "", "x"]);
        assert_eq!(ok(r#"'it''s' "a"'b'c"#), ["its", "abc"]);
        assert_eq!(ok(r#"'no \escapes "here"'"#), [r#"no \escapes "here""#]);
        assert_eq!(ok(r#""\$HOME \`x\` \" \\ \n""#), [r#"$HOME `x` " \ \n"#]);
        assert_eq!(ok("a\\\nb"), ["ab"], "a backslash-newline joins lines");
        assert_eq!(ok("\"a\\\nb\""), ["ab"]);
        assert_eq!(ok("'$(x) ; | &'"), ["$(x) ; | &"]);
        assert_eq!(ok("*.rs ~ #x é"), ["*.rs", "~", "#x", "é"], "nothing is expanded");
    }

    #[test]
    fn a_json_list_is_taken_as_it_is() {
        assert_eq!(
            ok(r#"["--allowedTools=Bash(npm test)", "", "a b"]"#),
            ["--allowedTools=Bash(npm test)", "", "a b"]
        );
        assert_eq!(ok("  [ ]"), Vec::<String>::new());
        for bad in [r#"["a", "#, r#"["a", 1]"#, r#"[{"a": 1}]"#, "[a]"] {
            assert!(matches!(split(bad), Err(WordsError::Json(_))), "{bad}");
        }
    }

    #[test]
    fn mistakes_say_what_and_where() {
        assert_eq!(
            split(r#"--x "Bash(npm test)"#),
            Err(WordsError::Unterminated { quote: "double", at: 5 })
        );
        assert_eq!(split("a 'b"), Err(WordsError::Unterminated { quote: "single", at: 3 }));
        assert_eq!(
            split(r#""a\"#),
            Err(WordsError::Unterminated { quote: "double", at: 1 })
        );
        assert_eq!(split(r"a \"), Err(WordsError::TrailingBackslash));
        assert_eq!(
            split("--allowedTools=Bash(npm test)"),
            Err(WordsError::Unquoted { ch: '(', at: 20 })
        );
        for (line, ch) in [
            ("a;b", ';'),
            ("$HOME", '$'),
            ("a|b", '|'),
            ("a>b", '>'),
            ("`x`", '`'),
            ("a&", '&'),
        ] {
            assert!(
                matches!(split(line), Err(WordsError::Unquoted { ch: c, .. }) if c == ch),
                "{line}"
            );
        }
        let message = split("x 'y").unwrap_err().to_string();
        assert_eq!(message, "unterminated single quote opened at character 3");
    }
}
