//! A YAML step about to run, in the YAML drive (`run::run_yaml`): a step an earlier attempt
//! finished is handed to the step host as written (its memo answers it, and its condition
//! and templates are not looked at again); otherwise its `if:` is evaluated (false: it is
//! recorded skipped) and its templates filled in against the arguments and the results so
//! far (a path the run does not have fails the step, before anything runs).

use std::sync::Arc;

use serde_json::{Map, Value};

use super::host::{Begin, Interrupt, StepHost};
use crate::definition::template::{self, Quote};
use crate::definition::{expr, StepConfig};

/// What the drive does with a step.
pub(super) enum Next {
    /// Hand it to the step host (rendered, or as written when the memo answers it).
    Run(StepConfig),
    /// Record it skipped, with the reason.
    Skip(StepConfig, String),
    /// Record it failed without running it, with the error.
    Fail(StepConfig, String),
}

/// What to do with `step`, given the run's arguments and the results so far.
pub(super) fn next(host: &StepHost, step: &StepConfig, args: &Value) -> Next {
    if host.is_memoized(&step.id) {
        return Next::Run(step.clone());
    }
    let results = host.results();
    if let Some(condition) = &step.condition {
        match expr::evaluate(condition, args, &results) {
            Ok(true) => {}
            Ok(false) => return Next::Skip(step.clone(), format!("the condition `{condition}` was false")),
            Err(e) => {
                return Next::Fail(
                    step.clone(),
                    format!("its condition `{condition}` could not be decided: {e}"),
                )
            }
        }
    }
    match render_step(step, args, &results) {
        Ok(config) => Next::Run(config),
        Err(e) => Next::Fail(step.clone(), e),
    }
}

/// Does what `next` says, on the step host.
pub(super) async fn take(host: Arc<StepHost>, next: Next) -> Result<Begin, Interrupt> {
    match next {
        Next::Run(config) => host.step(config).await,
        Next::Skip(config, why) => host.skip(config, why).await,
        Next::Fail(config, error) => host.fail_unrun(config, error).await,
    }
}

/// The step with its templates filled in; the secrets its definition names recorded as the
/// only ones it may get.
fn render_step(step: &StepConfig, args: &Value, results: &Map<String, Value>) -> Result<StepConfig, String> {
    let render = |t: &str, q| template::render(t, args, results, q);
    let mut out = step.clone();
    let written = step.command.iter().chain(&step.prompt).chain(step.env.values());
    out.secrets = Some(written.flat_map(|t| template::secret_names(t)).collect());
    out.command = step.command.as_deref().map(|c| render(c, Quote::Shell)).transpose()?;
    out.cwd = step.cwd.as_deref().map(|c| render(c, Quote::None)).transpose()?;
    out.prompt = step.prompt.as_deref().map(|c| render(c, Quote::None)).transpose()?;
    out.title = step.title.as_deref().map(|c| render(c, Quote::None)).transpose()?;
    out.description = step
        .description
        .as_deref()
        .map(|c| render(c, Quote::None))
        .transpose()?;
    for (k, v) in out.env.iter_mut() {
        *v = render(&step.env[k], Quote::None).map_err(|e| format!("env.{k}: {e}"))?;
    }
    Ok(out)
}
