//! Secrets in a run: `{{ secrets.NAME }}` resolved as a step's process starts, and every value
//! given to the run masked (`***`) in what the run records and publishes.
//!
//! A reference stays a reference in everything the run stores about a step (its
//! `input.json`, the definition snapshot): the value exists only in the environment or the
//! prompt of the process that needs it. In a `command` a reference becomes
//! `"$WORKFLOW_SECRET_NAME"`, an expansion of a variable set for that process, so the value
//! is not on a command line that `ps` shows; in an `env` value or an agent's `prompt` it is the
//! value itself. YAML steps get only the names their definition writes; TypeScript's
//! `ctx.secrets.NAME` is `{{ secrets.NAME@TAG }}` with a tag random for each drive of the run,
//! so that a reference arriving in data (an argument, an agent's answer) names nothing.

use std::collections::BTreeMap;
use std::sync::RwLock;

use serde_json::Value;

use super::host::StepHost;
use crate::definition::template::{self, SecretRef};
use crate::definition::StepConfig;
use crate::events::Event;

/// What a masked value is replaced with.
pub const MASK: &str = "***";
/// The variable a command's reference to secret NAME expands.
pub const COMMAND_VAR_PREFIX: &str = "WORKFLOW_SECRET_";

/// The values given to a run so far, replaced by `***` wherever the run writes text.
#[derive(Default)]
pub struct Masker {
    /// Longest first, so that a value containing another is masked whole.
    values: RwLock<Vec<String>>,
}

impl Masker {
    /// Masks `value` from now on, and each of its lines (output is read line by line).
    pub fn add(&self, value: &str) {
        let mut values = self.values.write().expect("mask lock");
        let lines = value.lines().map(str::trim).filter(|l| l.len() >= 4);
        for v in std::iter::once(value).chain(lines) {
            if !v.is_empty() && !values.iter().any(|known| known == v) {
                values.push(v.to_string());
            }
        }
        values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// `text` with every known value replaced.
    pub fn text(&self, text: &str) -> String {
        let mut out = text.to_string();
        self.in_place(&mut out);
        out
    }

    /// Replaces known values in `text`; allocates only when one is there.
    fn in_place(&self, text: &mut String) {
        let values = self.values.read().expect("mask lock");
        for v in values.iter() {
            if text.contains(v.as_str()) {
                *text = text.replace(v.as_str(), MASK);
            }
        }
    }

    /// Every string in `value` masked, keys included.
    pub fn value(&self, value: &mut Value) {
        match value {
            Value::String(s) => self.in_place(s),
            Value::Array(items) => items.iter_mut().for_each(|v| self.value(v)),
            Value::Object(map) => {
                map.values_mut().for_each(|v| self.value(v));
                // A key is rarely a secret: the map is rebuilt only when one holds a value.
                if map.keys().any(|k| self.text(k) != *k) {
                    let old = std::mem::take(map);
                    map.extend(old.into_iter().map(|(k, v)| (self.text(&k), v)));
                }
            }
            _ => {}
        }
    }

    /// A step's outcome masked: its data, error and output text.
    pub fn outcome(&self, outcome: &mut super::outcome::Outcome) {
        if let Some(d) = outcome.data.as_mut() {
            self.value(d);
        }
        for text in outcome.error.iter_mut().chain(outcome.output.iter_mut()) {
            self.in_place(text);
        }
    }

    /// The event with its text fields masked.
    pub fn event(&self, mut event: Event) -> Event {
        match &mut event {
            Event::StepProgress { output, detail, .. } => {
                self.in_place(output);
                if let Some(d) = detail {
                    self.value(d);
                }
            }
            Event::RunLog { message, .. } => self.in_place(message),
            Event::StepCompleted { error: Some(e), .. }
            | Event::StatusChanged {
                error_message: Some(e), ..
            } => self.in_place(e),
            _ => {}
        }
        event
    }
}

/// A run's tag for the references its `ctx.secrets` makes: random, never stored, masked.
pub fn new_tag() -> String {
    use chacha20poly1305::aead::rand_core::RngCore;
    let mut bytes = [0u8; 12];
    chacha20poly1305::aead::OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a step's secrets could not be given to it.
pub type SecretsError = String;

impl StepHost {
    /// `config` ready to start: references in its command, env values and prompt replaced,
    /// and the variables commands expand added to its `env`. The values are masked from now on.
    pub(super) async fn with_secrets(&self, config: &StepConfig) -> Result<StepConfig, SecretsError> {
        let texts = config
            .command
            .iter()
            .chain(config.prompt.iter())
            .chain(config.env.values());
        let refs: Vec<SecretRef> = texts.flat_map(|t| template::secret_refs(t)).collect();
        if refs.is_empty() {
            return Ok(config.clone());
        }
        // A reference counts only as its author wrote it: named in the YAML step, or made by
        // this run's `ctx.secrets` (its tag). One that arrived in data (an argument, an
        // agent's answer piped into a prompt) names nothing.
        let written = |r: &SecretRef| match &config.secrets {
            Some(allowed) => r.tag.is_none() && allowed.contains(&r.name),
            None => r.tag.as_deref() == Some(self.secret_tag.as_str()),
        };
        if let Some(r) = refs.iter().find(|r| !written(r)) {
            let author = if config.secrets.is_some() {
                "the workflow file"
            } else {
                "ctx.secrets"
            };
            return Err(format!(
                "step \"{}\": {{{{ secrets.{} }}}} came from a value (an argument, a step's output), not from {author}",
                config.id, r.name
            ));
        }
        let mut names: Vec<String> = refs.into_iter().map(|r| r.name).collect();
        names.sort();
        names.dedup();
        let values = crate::store::secrets::values(self.engine.store(), &self.project_id, &names)
            .await
            .map_err(|e| format!("step \"{}\": {e}", config.id))?;
        for v in values.values() {
            self.mask.add(v);
        }
        Ok(fill(config, &values))
    }
}

/// A YAML definition's references to secrets the project does not have, each where it is
/// written: a run that would fail at that step is refused before it starts.
pub(super) async fn check_known(
    store: &crate::store::Store,
    project_id: &str,
    definition: &crate::definition::WorkflowDefinition,
) -> Result<(), super::EngineError> {
    use crate::definition::DefinitionError;
    let known: Vec<String> = crate::store::secrets::list(store, project_id)
        .await
        .map_err(|e| std::io::Error::other(e.to_string()))?
        .into_iter()
        .map(|s| s.name)
        .collect();
    let mut errors = Vec::new();
    for step in &definition.steps {
        let texts = step.command.iter().chain(&step.prompt).chain(step.env.values());
        let mut names: Vec<String> = texts.flat_map(|t| template::secret_names(t)).collect();
        names.sort();
        names.dedup();
        for name in names.iter().filter(|n| !known.contains(n)) {
            let has = if known.is_empty() {
                "no secrets".to_string()
            } else {
                known.join(", ")
            };
            let message = format!(
                "step \"{}\": unknown secret '{name}' (this project has {has}; set it with `workflow-engine secret set`)",
                step.id
            );
            errors.push(DefinitionError::at(step.location.clone(), message));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(super::EngineError::Definition(errors))
    }
}

/// The references in `config` replaced with `values` (all of them present).
fn fill(config: &StepConfig, values: &BTreeMap<String, String>) -> StepConfig {
    let mut out = config.clone();
    let value = |name: &str| values.get(name).cloned().unwrap_or_default();
    if let Some(command) = &config.command {
        let mut used = Vec::new();
        out.command = Some(template::replace_secrets(command, |r| {
            used.push(r.name.clone());
            format!("\"${COMMAND_VAR_PREFIX}{}\"", r.name)
        }));
        for name in used {
            out.env.insert(format!("{COMMAND_VAR_PREFIX}{name}"), value(&name));
        }
    }
    let by_ref = |r: &SecretRef| value(&r.name);
    out.prompt = config.prompt.as_deref().map(|p| template::replace_secrets(p, by_ref));
    for (k, v) in &config.env {
        out.env.insert(k.clone(), template::replace_secrets(v, by_ref));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_values_and_their_lines_longest_first() {
        let m = Masker::default();
        m.add("abc");
        m.add("xabcx");
        m.add("-----BEGIN KEY-----\nline-two-secret\nok");
        assert_eq!(m.text("1 xabcx 2 abc"), "1 *** 2 ***");
        assert_eq!(m.text("got line-two-secret and ok"), "got *** and ok");
        let mut v = serde_json::json!({ "abc": ["zz abc"], "n": 1 });
        m.value(&mut v);
        assert_eq!(v, serde_json::json!({ "***": ["zz ***"], "n": 1 }));
    }
}
