//! A run's workspace settings (`workspace: { isolation, base, branch, keep, deleteBranch }`)
//! as a workflow file, the API body or the CLI's flags write them, checked once here; and the
//! branch name template (`{{ run.name }}`, `{{ run.shortId }}`, `{{ run.id }}`) rendered.
//! Pure rules: `engine::workspace` makes the worktree.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::{Isolation, KeepPolicy};

/// The branch a run's worktree is on unless its settings name another.
pub const DEFAULT_BRANCH_TEMPLATE: &str = "wf/{{ run.name }}-{{ run.shortId }}";
/// What a worktree starts from unless its settings name another ref.
pub const DEFAULT_BASE: &str = "HEAD";
/// The most characters of the run's name in a branch.
const SLUG_MAX: usize = 40;

/// Workspace settings, each left out one taken from below (the definition's under a run's
/// own, the defaults under both).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WorkspaceSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub isolation: Option<Isolation>,
    /// A ref or commit the worktree starts from (default `HEAD` of the project checkout).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// The branch's name: a template over `run.name` (slugged), `run.shortId`, `run.id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branch: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep: Option<KeepPolicy>,
    /// Delete the branch too when the worktree is removed (default false).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete_branch: Option<bool>,
}

/// The keys a workspace object takes.
pub const WORKSPACE_KEYS: &[&str] = &["isolation", "base", "branch", "keep", "deleteBranch"];

/// The settings a worktree run is made with, every default filled in.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub base: String,
    pub branch_template: String,
    pub keep: KeepPolicy,
    pub delete_branch: bool,
}

impl WorkspaceSpec {
    /// `{ isolation?, base?, branch?, keep?, deleteBranch? }` as a definition or the API
    /// writes it. The error names the key (returned with it, for a YAML location).
    pub fn from_json(v: &Value) -> Result<WorkspaceSpec, (Option<&'static str>, String)> {
        let Value::Object(map) = v else {
            return Err((
                None,
                "must be an object like { isolation: \"worktree\", keep: \"on-failure\" }".into(),
            ));
        };
        if let Some(k) = map.keys().find(|k| !WORKSPACE_KEYS.contains(&k.as_str())) {
            return Err((
                None,
                format!("unknown key '{k}' (expected one of: {})", WORKSPACE_KEYS.join(", ")),
            ));
        }
        let field = |key: &'static str| map.get(key).filter(|v| !v.is_null()).map(|v| (key, v));
        let mut spec = WorkspaceSpec::default();
        if let Some((key, v)) = field("isolation") {
            spec.isolation =
                Some(one_of(v, Isolation::parse, &Isolation::WIRE).map_err(|e| (Some(key), format!("{key}: {e}")))?);
        }
        if let Some((key, v)) = field("keep") {
            spec.keep =
                Some(one_of(v, KeepPolicy::parse, &KeepPolicy::WIRE).map_err(|e| (Some(key), format!("{key}: {e}")))?);
        }
        if let Some((key, v)) = field("base") {
            spec.base = Some(check_base(v).map_err(|e| (Some(key), format!("{key}: {e}")))?);
        }
        if let Some((key, v)) = field("branch") {
            let t = v
                .as_str()
                .ok_or_else(|| (Some(key), format!("{key}: must be a string, not {v}")))?;
            check_template(t).map_err(|e| (Some(key), format!("{key}: {e}")))?;
            spec.branch = Some(t.to_string());
        }
        if let Some((key, v)) = field("deleteBranch") {
            spec.delete_branch = Some(
                v.as_bool()
                    .ok_or_else(|| (Some(key), format!("{key}: must be true or false, not {v}")))?,
            );
        }
        Ok(spec)
    }

    /// These settings with the ones `over` gives replaced (a run's own over its definition's).
    pub fn merged(&self, over: &WorkspaceSpec) -> WorkspaceSpec {
        WorkspaceSpec {
            isolation: over.isolation.or(self.isolation),
            base: over.base.clone().or_else(|| self.base.clone()),
            branch: over.branch.clone().or_else(|| self.branch.clone()),
            keep: over.keep.or(self.keep),
            delete_branch: over.delete_branch.or(self.delete_branch),
        }
    }

    /// The settings of a worktree run, or `None` when the run works in the checkout.
    pub fn resolve(&self) -> Option<Resolved> {
        if self.isolation != Some(Isolation::Worktree) {
            return None;
        }
        Some(Resolved {
            base: self.base.clone().unwrap_or_else(|| DEFAULT_BASE.into()),
            branch_template: self.branch.clone().unwrap_or_else(|| DEFAULT_BRANCH_TEMPLATE.into()),
            keep: self.keep.unwrap_or(KeepPolicy::OnFailure),
            delete_branch: self.delete_branch.unwrap_or(false),
        })
    }
}

fn one_of<T>(v: &Value, parse: fn(&str) -> Option<T>, wire: &[&str]) -> Result<T, String> {
    let expected = wire.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(", ");
    v.as_str()
        .and_then(parse)
        .ok_or_else(|| format!("must be one of {expected}, not {v}"))
}

fn check_base(v: &Value) -> Result<String, String> {
    let Some(s) = v.as_str() else {
        return Err(format!("must be a ref or commit (a string), not {v}"));
    };
    if s.trim().is_empty() || s.starts_with('-') || s.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!("'{s}' is not a ref or commit name"));
    }
    Ok(s.to_string())
}

/// The placeholders a branch template may use.
const PLACEHOLDERS: &[&str] = &["run.name", "run.shortId", "run.id"];

/// Checks that every `{{ }}` of `template` is a known placeholder and that the rest could be
/// part of a branch name (git's own check runs on the rendered name).
pub fn check_template(template: &str) -> Result<(), String> {
    if template.trim().is_empty() {
        return Err("must not be empty".into());
    }
    render_with(template, "name", "00000000", "00000000-0000-0000-0000-000000000000").map(|_| ())
}

/// The branch name `template` gives a run named `name` with id `id`.
pub fn render_branch(template: &str, name: &str, id: &str) -> Result<String, String> {
    render_with(template, name, &short_id(id), id)
}

/// `run.shortId`: the last 8 characters of the run's id. Run ids are UUIDv7, whose first
/// characters are the time they were made: two runs started together share them.
pub fn short_id(id: &str) -> String {
    let hex: Vec<char> = id.chars().filter(|c| *c != '-').collect();
    hex[hex.len().saturating_sub(8)..].iter().collect()
}

fn render_with(template: &str, name: &str, short: &str, id: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| format!("'{template}': a '{{{{' is not closed by '}}}}'"))?;
        let key = after[..end].trim();
        match key {
            "run.name" => out.push_str(&slug(name)),
            "run.shortId" => out.push_str(short),
            "run.id" => out.push_str(id),
            other => {
                return Err(format!(
                    "'{template}': unknown placeholder '{other}' (a branch may use {})",
                    PLACEHOLDERS.join(", ")
                ))
            }
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    if out.contains("}}") {
        return Err(format!("'{template}': a '}}}}' without its '{{{{'"));
    }
    if out.starts_with('-') || out.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!("'{out}' is not a valid branch name"));
    }
    Ok(out)
}

/// Lowercase letters, digits and single dashes, at most `SLUG_MAX` long; `run` if nothing is left.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.truncate(SLUG_MAX);
    let out = out.trim_matches('-').to_string();
    if out.is_empty() {
        "run".into()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn settings_are_read_and_merged() {
        let d = WorkspaceSpec::from_json(&json!({"isolation": "worktree", "keep": "always", "deleteBranch": true}))
            .unwrap();
        let over = WorkspaceSpec::from_json(&json!({"base": "main", "keep": "never"})).unwrap();
        let r = d.merged(&over).resolve().unwrap();
        assert_eq!(r.base, "main");
        assert_eq!(r.keep, KeepPolicy::Never);
        assert!(r.delete_branch);
        assert_eq!(r.branch_template, DEFAULT_BRANCH_TEMPLATE);
        let off = WorkspaceSpec::from_json(&json!({"isolation": "none"})).unwrap();
        assert_eq!(d.merged(&off).resolve(), None);
        assert_eq!(WorkspaceSpec::default().resolve(), None);
    }

    #[test]
    fn a_wrong_setting_says_which_key() {
        let err = |v: Value| WorkspaceSpec::from_json(&v).unwrap_err();
        assert_eq!(err(json!({"keep": "sometimes"})).0, Some("keep"));
        assert!(err(json!({"keep": "sometimes"})).1.contains("\"on-failure\""));
        assert_eq!(err(json!({"isolation": "docker"})).0, Some("isolation"));
        assert_eq!(err(json!({"branch": "wf/{{ args.x }}"})).0, Some("branch"));
        assert!(err(json!({"branch": "wf/{{ run.name"})).1.contains("not closed"));
        assert_eq!(err(json!({"base": "-x"})).0, Some("base"));
        assert_eq!(err(json!({"deleteBranch": "yes"})).0, Some("deleteBranch"));
        assert!(err(json!({"folder": 1})).1.contains("unknown key 'folder'"));
        assert!(err(json!("worktree")).1.contains("must be an object"));
    }

    #[test]
    fn branches_are_named_from_the_run() {
        let id = "0192abcd-ef01-7000-8000-00000012ab34";
        assert_eq!(
            render_branch(DEFAULT_BRANCH_TEMPLATE, "Fix #12: the  Login page!", id).unwrap(),
            "wf/fix-12-the-login-page-0012ab34"
        );
        assert_eq!(slug(&"x".repeat(60)).len(), 40);
        assert_eq!(slug("---"), "run");
        assert_eq!(slug("a--b"), "a-b");
    }
}
