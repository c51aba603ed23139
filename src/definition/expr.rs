//! A YAML step's `if:` condition: an expression over `args.<name>…` and
//! `steps.<id>.status/data…/error`, with `==`, `!=`, `<`, `<=`, `>`, `>=`, `contains`, `&&`,
//! `||`, `!`, parentheses and string ('…' or "…"), number, `true`/`false` and `null` literals.
//!
//! It is parsed and its paths checked when the file is (`check`: the byte offset of the
//! problem in the text, which the YAML reader turns into a line and column), and evaluated
//! just before the step would run (`evaluate`). In a condition a path that is not there is
//! `null` (so `args.tag != null` asks whether it was given); a comparison of values that do
//! not compare (text `<` a list) fails the step. `false`, `null`, `0` and `""` are false.

use serde_json::{Map, Value};

use super::refs::{check_ref, parse_ref, resolve, Absent, Scope};

/// A parsed condition.
#[derive(Debug, Clone, PartialEq)]
enum Expr {
    Lit(Value),
    /// A dotted path at byte `at`, split into a `Ref` when it is checked or evaluated (which
    /// step ids exist decides where a dotted id ends).
    Path {
        path: String,
        at: usize,
    },
    Not(Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp {
        op: Op,
        at: usize,
        left: Box<Expr>,
        right: Box<Expr>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Contains,
}

impl Op {
    fn text(self) -> &'static str {
        match self {
            Op::Eq => "==",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "contains",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    LParen,
    RParen,
    Not,
    And,
    Or,
    Op(Op),
    Lit(Value),
    Path(String),
}

/// A problem and the byte offset in the condition where it is.
pub type Located = (usize, String);

/// Parses `text` and checks every path in it against `scope`. The first problem, with where.
pub fn check(text: &str, scope: &dyn Scope) -> Result<(), Located> {
    let expr = parse(text)?;
    check_paths(&expr, scope)
}

/// Whether the condition holds for `args` and the results of the steps so far; an error
/// says why it cannot be decided (it fails the step).
pub fn evaluate(text: &str, args: &Value, steps: &Map<String, Value>) -> Result<bool, String> {
    let expr = parse(text).map_err(|(_, e)| e)?;
    Ok(truthy(&value(&expr, args, steps)?))
}

fn check_paths(expr: &Expr, scope: &dyn Scope) -> Result<(), Located> {
    match expr {
        Expr::Lit(_) => Ok(()),
        Expr::Path { path, at } => {
            let r = parse_ref(path, path, |id| scope.step(id).is_some()).map_err(|e| (*at, e))?;
            if matches!(r, super::refs::Ref::Secret(_)) {
                return Err((*at, format!("{path}: a condition cannot use secrets")));
            }
            check_ref(path, &r, scope).map_err(|e| (*at, e))
        }
        Expr::Not(inner) => check_paths(inner, scope),
        Expr::And(a, b) | Expr::Or(a, b) | Expr::Cmp { left: a, right: b, .. } => {
            check_paths(a, scope)?;
            check_paths(b, scope)
        }
    }
}

fn value(expr: &Expr, args: &Value, steps: &Map<String, Value>) -> Result<Value, String> {
    Ok(match expr {
        Expr::Lit(v) => v.clone(),
        Expr::Path { path, .. } => {
            let r = parse_ref(path, path, |id| steps.contains_key(id))?;
            match resolve(&r, args, steps) {
                Ok(v) => v.clone(),
                Err(Absent::NoValue(_)) => Value::Null,
                Err(Absent::NoStep(id)) => return Err(format!("{path}: step '{id}' has not run")),
            }
        }
        Expr::Not(inner) => Value::Bool(!truthy(&value(inner, args, steps)?)),
        Expr::And(a, b) => Value::Bool(truthy(&value(a, args, steps)?) && truthy(&value(b, args, steps)?)),
        Expr::Or(a, b) => Value::Bool(truthy(&value(a, args, steps)?) || truthy(&value(b, args, steps)?)),
        Expr::Cmp { op, left, right, .. } => {
            let (l, r) = (value(left, args, steps)?, value(right, args, steps)?);
            Value::Bool(compare(*op, &l, &r)?)
        }
    })
}

/// `false`, `null`, `0` and `""` are false; everything else (lists and mappings too) true.
fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64() != Some(0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// A number, or text that reads as one (a script's `stdout` of `3\n`), when compared with a
/// number.
fn as_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), _) | (_, Value::Number(_)) => match (as_number(a), as_number(b)) {
            (Some(x), Some(y)) => x == y,
            _ => false,
        },
        _ => a == b,
    }
}

fn compare(op: Op, l: &Value, r: &Value) -> Result<bool, String> {
    let order = || -> Result<std::cmp::Ordering, String> {
        let numeric = matches!(l, Value::Number(_)) || matches!(r, Value::Number(_));
        match (l, r) {
            _ if numeric => match (as_number(l), as_number(r)) {
                (Some(x), Some(y)) => x.partial_cmp(&y).ok_or_else(|| "not comparable".to_string()),
                _ => Err(cannot(op, l, r)),
            },
            (Value::String(x), Value::String(y)) => Ok(x.cmp(y)),
            _ => Err(cannot(op, l, r)),
        }
    };
    use std::cmp::Ordering::{Greater, Less};
    Ok(match op {
        Op::Eq => equal(l, r),
        Op::Ne => !equal(l, r),
        Op::Lt => order()? == Less,
        Op::Le => order()? != Greater,
        Op::Gt => order()? == Greater,
        Op::Ge => order()? != Less,
        Op::Contains => match (l, r) {
            (Value::Null, _) => false,
            (Value::String(s), Value::String(x)) => s.contains(x.as_str()),
            (Value::String(s), Value::Number(_) | Value::Bool(_)) => s.contains(&r.to_string()),
            (Value::Array(items), _) => items.iter().any(|i| equal(i, r)),
            (Value::Object(map), Value::String(key)) => map.contains_key(key),
            _ => return Err(cannot(op, l, r)),
        },
    })
}

fn cannot(op: Op, l: &Value, r: &Value) -> String {
    format!(
        "the condition cannot tell whether {} {} {}",
        describe(l),
        op.text(),
        describe(r)
    )
}

/// A value as a message shows it: `text "abc"`, `the number 3`, `a list`.
fn describe(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => {
            let shown: String = s.chars().take(40).collect();
            let more = if shown.len() < s.len() { "…" } else { "" };
            format!("text {shown:?}{more}")
        }
        Value::Array(_) => "a list".into(),
        Value::Object(_) => "a mapping".into(),
    }
}

fn parse(text: &str) -> Result<Expr, Located> {
    let tokens = lex(text)?;
    if tokens.is_empty() {
        return Err((
            0,
            "the condition is empty: write e.g. steps.build.status == 'completed'".into(),
        ));
    }
    let mut p = Parser {
        tokens,
        next: 0,
        end: text.len(),
    };
    let expr = p.or()?;
    match p.tokens.get(p.next) {
        None => Ok(expr),
        Some((at, Tok::RParen)) => Err((*at, "')' closes no '('".into())),
        Some((at, t)) => Err((*at, format!("expected && or || before {}", shown(t)))),
    }
}

struct Parser {
    tokens: Vec<(usize, Tok)>,
    next: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.next).map(|(_, t)| t)
    }

    fn at(&self) -> usize {
        self.tokens.get(self.next).map_or(self.end, |(at, _)| *at)
    }

    fn or(&mut self) -> Result<Expr, Located> {
        let mut left = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.next += 1;
            left = Expr::Or(Box::new(left), Box::new(self.and_after("||")?));
        }
        Ok(left)
    }

    fn and_after(&mut self, after: &str) -> Result<Expr, Located> {
        self.expect_operand(after)?;
        self.and()
    }

    fn and(&mut self) -> Result<Expr, Located> {
        let mut left = self.cmp()?;
        while self.peek() == Some(&Tok::And) {
            self.next += 1;
            self.expect_operand("&&")?;
            left = Expr::And(Box::new(left), Box::new(self.cmp()?));
        }
        Ok(left)
    }

    fn cmp(&mut self) -> Result<Expr, Located> {
        let left = self.unary()?;
        let Some(&Tok::Op(op)) = self.peek() else {
            return Ok(left);
        };
        let at = self.at();
        self.next += 1;
        self.expect_operand(op.text())?;
        let right = self.unary()?;
        if let Some(Tok::Op(second)) = self.peek() {
            let message = format!(
                "comparisons do not chain: join them with && (found {} after a comparison)",
                second.text()
            );
            return Err((self.at(), message));
        }
        Ok(Expr::Cmp {
            op,
            at,
            left: Box::new(left),
            right: Box::new(right),
        })
    }

    fn unary(&mut self) -> Result<Expr, Located> {
        if self.peek() == Some(&Tok::Not) {
            self.next += 1;
            self.expect_operand("!")?;
            return Ok(Expr::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, Located> {
        let at = self.at();
        let Some((_, tok)) = self.tokens.get(self.next).cloned() else {
            return Err((at, "the condition ends where a value was expected".into()));
        };
        self.next += 1;
        match tok {
            Tok::Lit(v) => Ok(Expr::Lit(v)),
            Tok::Path(path) => Ok(Expr::Path { path, at }),
            Tok::LParen => {
                self.expect_operand("(")?;
                let inner = self.or()?;
                match self.peek() {
                    Some(Tok::RParen) => {
                        self.next += 1;
                        Ok(inner)
                    }
                    _ => Err((at, "this '(' is not closed: add ')'".into())),
                }
            }
            other => Err((at, format!("expected a value, found {}", shown(&other)))),
        }
    }

    /// A value must follow `after`: the condition must not end here.
    fn expect_operand(&self, after: &str) -> Result<(), Located> {
        match self.peek() {
            None => Err((
                self.end,
                format!("the condition ends after '{after}': a value must follow"),
            )),
            Some(Tok::RParen | Tok::And | Tok::Or | Tok::Op(_)) => {
                let t = self.peek().expect("peeked");
                Err((
                    self.at(),
                    format!("expected a value after '{after}', found {}", shown(t)),
                ))
            }
            _ => Ok(()),
        }
    }
}

fn shown(t: &Tok) -> String {
    match t {
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::Not => "'!'".into(),
        Tok::And => "'&&'".into(),
        Tok::Or => "'||'".into(),
        Tok::Op(op) => format!("'{}'", op.text()),
        Tok::Lit(v) => v.to_string(),
        Tok::Path(p) => format!("'{p}'"),
    }
}

fn is_path_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-')
}

fn lex(text: &str) -> Result<Vec<(usize, Tok)>, Located> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(at, c)) = chars.peek() {
        let two = text.get(at..at + 2).unwrap_or("");
        let (tok, len) = match c {
            _ if c.is_whitespace() => {
                chars.next();
                continue;
            }
            '(' => (Tok::LParen, 1),
            ')' => (Tok::RParen, 1),
            _ if two == "&&" => (Tok::And, 2),
            _ if two == "||" => (Tok::Or, 2),
            _ if two == "==" => (Tok::Op(Op::Eq), 2),
            _ if two == "!=" => (Tok::Op(Op::Ne), 2),
            _ if two == "<=" => (Tok::Op(Op::Le), 2),
            _ if two == ">=" => (Tok::Op(Op::Ge), 2),
            '<' => (Tok::Op(Op::Lt), 1),
            '>' => (Tok::Op(Op::Gt), 1),
            '!' => (Tok::Not, 1),
            '=' => return Err((at, "'=' alone does not compare: write ==".into())),
            '&' => return Err((at, "'&' alone is not an operator: write && for and".into())),
            '|' => return Err((at, "'|' alone is not an operator: write || for or".into())),
            '\'' | '"' => {
                let body = &text[at + 1..];
                let Some(end) = body.find(c) else {
                    return Err((at, format!("this string has no closing {c}")));
                };
                (Tok::Lit(Value::String(body[..end].to_string())), end + 2)
            }
            _ if c.is_ascii_digit() || (c == '-' && text[at + 1..].starts_with(|d: char| d.is_ascii_digit())) => {
                let len = text[at + 1..]
                    .find(|d: char| !(d.is_ascii_alphanumeric() || matches!(d, '.' | '+' | '-')))
                    .map_or(text.len() - at, |n| n + 1);
                let number = &text[at..at + len];
                match serde_json::from_str::<serde_json::Number>(number) {
                    Ok(n) => (Tok::Lit(Value::Number(n)), len),
                    Err(_) => return Err((at, format!("'{number}' is not a number"))),
                }
            }
            _ if c.is_ascii_alphabetic() || c == '_' => {
                let len = text[at..].find(|d: char| !is_path_char(d)).unwrap_or(text.len() - at);
                let word = &text[at..at + len];
                if word.split('.').any(str::is_empty) {
                    return Err((
                        at,
                        format!("'{word}' is not a path: write args.<name> or steps.<id>.data.<field>"),
                    ));
                }
                let tok = match word {
                    "true" => Tok::Lit(Value::Bool(true)),
                    "false" => Tok::Lit(Value::Bool(false)),
                    "null" => Tok::Lit(Value::Null),
                    "contains" => Tok::Op(Op::Contains),
                    "and" | "or" | "not" => {
                        let op = match word {
                            "and" => "&&",
                            "or" => "||",
                            _ => "!",
                        };
                        return Err((at, format!("'{word}' is not an operator here: write {op}")));
                    }
                    _ if word.contains('.') => Tok::Path(word.to_string()),
                    "args" | "steps" => Tok::Path(word.to_string()),
                    _ => {
                        return Err((
                            at,
                            format!(
                                "'{word}' is not a value: quote text ('{word}'), or name args.<name> or steps.<id>.status, .data or .error"
                            ),
                        ))
                    }
                };
                (tok, len)
            }
            other => return Err((at, format!("unexpected '{other}' in the condition"))),
        };
        tokens.push((at, tok));
        while chars.peek().is_some_and(|(i, _)| *i < at + len) {
            chars.next();
        }
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests;
