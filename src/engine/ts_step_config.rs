//! A TypeScript step's config, as the worker sends it, through `definition::step_json`; the
//! phase a step without one is in comes from the run.

use serde_json::Value;

use super::host::{Interrupt, StepHost};
use crate::definition::step_json::step_from_json;
use crate::definition::StepConfig;

/// A step without `phase` is in the phase of the step before, else the workflow's first.
pub(super) fn config_from_json(id: &str, v: &Value, host: &StepHost) -> Result<StepConfig, Interrupt> {
    let default_phase = || {
        host.current_phase()
            .or_else(|| host.phases.first().cloned())
            .unwrap_or_default()
    };
    step_from_json(id, v, default_phase).map_err(Interrupt::Invalid)
}
