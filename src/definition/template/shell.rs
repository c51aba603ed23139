//! Shell quoting of the values a `command` gets, and the check that its placeholders stand
//! outside quotes: a value is inserted single-quoted (`'it'\''s'`), and inside the author's own
//! quotes that quoting is undone or printed: in `"… {{ args.x }} …"` a value holding `$(…)`
//! would run.

use super::{Located, Piece};

/// `text` as one shell word: as it is when harmless, else POSIX single-quoted.
pub fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_./:=@%+,-".contains(c);
    // Empty stays quoted so that it is still passed as an argument.
    if !text.is_empty() && text.chars().all(safe) {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

/// Where the shell is while it reads a command.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ctx {
    /// Unquoted (the command, or a `$( )` / backquote inside quotes), with the parentheses
    /// open in it.
    Plain {
        parens: usize,
        backquote: bool,
    },
    Single,
    Double,
    Comment,
}

/// The first placeholder that stands inside single or double quotes, as an error with a hint.
/// Literal pieces (`{{ '...' }}`) are read as the text they insert.
pub(super) fn unquoted(pieces: &[Piece<'_>]) -> Result<(), Located> {
    let mut stack = vec![Ctx::Plain {
        parens: 0,
        backquote: false,
    }];
    let mut word_start = true;
    for piece in pieces {
        match piece {
            Piece::Text(text) | Piece::Literal(text) => read(&mut stack, &mut word_start, text),
            Piece::Expr { source, at, .. } => {
                word_start = false;
                let quote = match stack.last() {
                    Some(Ctx::Single) => "'single'",
                    Some(Ctx::Double) => "\"double\"",
                    _ => continue,
                };
                return Err((
                    *at,
                    format!(
                        "{source} is inside {quote} quotes in the command: placeholders are inserted \
                         shell-quoted already, and quoting them again undoes that (a value with $(...) \
                         would run). Remove the quotes around it; to join it to text, close the quotes \
                         before it: echo \"Hello, \"{source}"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// Follows the quoting of `text`.
fn read(stack: &mut Vec<Ctx>, word_start: &mut bool, text: &str) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let top = *stack.last().expect("the command's own context is never popped");
        match top {
            Ctx::Comment => {
                if c == '\n' {
                    stack.pop();
                }
            }
            Ctx::Single => {
                if c == '\'' {
                    stack.pop();
                }
            }
            Ctx::Double => match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    stack.pop();
                }
                '$' if chars.peek() == Some(&'(') => {
                    chars.next();
                    stack.push(Ctx::Plain {
                        parens: 0,
                        backquote: false,
                    });
                }
                '`' => stack.push(Ctx::Plain {
                    parens: 0,
                    backquote: true,
                }),
                _ => {}
            },
            Ctx::Plain { parens, backquote } => {
                let nested = stack.len() > 1;
                match c {
                    '\\' => {
                        chars.next();
                    }
                    '\'' => stack.push(Ctx::Single),
                    '"' => stack.push(Ctx::Double),
                    '#' if *word_start => stack.push(Ctx::Comment),
                    '`' if backquote => {
                        stack.pop();
                    }
                    '`' => stack.push(Ctx::Plain {
                        parens: 0,
                        backquote: true,
                    }),
                    '(' => set_parens(stack, parens + 1),
                    ')' if parens == 0 && nested && !backquote => {
                        stack.pop();
                    }
                    ')' => set_parens(stack, parens.saturating_sub(1)),
                    _ => {}
                }
            }
        }
        *word_start = c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(');
    }
}

fn set_parens(stack: &mut [Ctx], n: usize) {
    if let Some(Ctx::Plain { parens, .. }) = stack.last_mut() {
        *parens = n;
    }
}
