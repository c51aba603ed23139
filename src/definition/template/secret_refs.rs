//! References to secrets in step text: `{{ secrets.NAME }}` as a YAML file writes it, or
//! `{{ secrets.NAME@TAG }}` as a TypeScript `ctx.secrets.NAME` does; found and replaced
//! leniently, leaving any other `{{ ... }}` text alone.

use crate::definition::names::is_secret_name;

/// A reference to a secret: `{{ secrets.NAME }}` (YAML), or `{{ secrets.NAME@TAG }}` as
/// TypeScript's `ctx.secrets.NAME` writes it, TAG being the run's (see `engine::secrets`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub name: String,
    pub tag: Option<String>,
}

/// The secret names `text` refers to, in order, repeats included.
pub fn secret_names(text: &str) -> Vec<String> {
    secret_refs(text).into_iter().map(|r| r.name).collect()
}

/// The references in `text`, in order. Lenient: other `{{ ... }}` text (a TypeScript
/// command's own braces) is left alone.
pub fn secret_refs(text: &str) -> Vec<SecretRef> {
    let mut refs = Vec::new();
    replace_secrets(text, |r| {
        refs.push(r.clone());
        String::new()
    });
    refs
}

fn parse_secret_ref(inner: &str) -> Option<SecretRef> {
    let body = inner.trim().strip_prefix("secrets.")?;
    let (name, tag) = match body.split_once('@') {
        Some((name, tag)) => (name, Some(tag)),
        None => (body, None),
    };
    let tag_ok = tag.is_none_or(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric()));
    (tag_ok && is_secret_name(name)).then(|| SecretRef {
        name: name.to_string(),
        tag: tag.map(str::to_string),
    })
}

/// `text` with each reference replaced by `with(reference)`; nothing else changes.
pub fn replace_secrets(text: &str, mut with: impl FnMut(&SecretRef) -> String) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        match parse_secret_ref(&after[..close]) {
            Some(r) => {
                out.push_str(&rest[..open]);
                out.push_str(&with(&r));
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[..open + 2]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}
