//! The kernel's limits on a command line, checked before a step's process is started.
//!
//! A script step runs `sh -c COMMAND` with its `env`. Linux refuses (`E2BIG`) a single
//! argument or environment string over `MAX_ARG_STRLEN` (128 KiB, with its NUL) and a whole
//! argv plus environment over `ARG_MAX`. A YAML `command:` with an argument rendered into it
//! can grow past that; the error would otherwise surface mid-run as "Argument list too
//! long". So a YAML run's commands are checked with its arguments before the run is created,
//! and every script step's again (with earlier steps' results) just before it starts.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::definition::template::{self, Quote};
use crate::definition::{StepConfig, StepKind};

/// The longest single argument or `NAME=value` string, without its NUL (`MAX_ARG_STRLEN`
/// is 32 pages of 4 KiB).
pub const MAX_ARG_BYTES: usize = 128 * 1024 - 1;

/// Room kept for what the engine adds to a step's environment (`PATH`, `HOME`, ...).
const ENGINE_ENV_BYTES: usize = 64 * 1024;

/// Whether `sh -c command` with `env` can be started; the message says which part is too big.
pub fn check(command: &str, env: &BTreeMap<String, String>) -> Result<(), String> {
    if command.len() > MAX_ARG_BYTES {
        return Err(format!(
            "the command is {} once its placeholders are filled in, more than the {} (with its \
             end byte) Linux allows for one command-line argument (MAX_ARG_STRLEN); pass large values in a file",
            kib(command.len()),
            kib(MAX_ARG_BYTES + 1)
        ));
    }
    let mut total = command.len() + ENGINE_ENV_BYTES;
    for (name, value) in env {
        let entry = name.len() + 1 + value.len();
        if entry > MAX_ARG_BYTES {
            return Err(format!(
                "env.{name} is {}, more than the {} (with its end byte) Linux allows for \
                 one environment variable (MAX_ARG_STRLEN); pass large values in a file",
                kib(entry),
                kib(MAX_ARG_BYTES + 1)
            ));
        }
        total += entry + 1;
    }
    let arg_max = arg_max();
    if total > arg_max {
        return Err(format!(
            "the command and its environment come to {}, more than the {} Linux allows for a \
             command line (ARG_MAX); pass large values in a file",
            kib(total),
            kib(arg_max)
        ));
    }
    Ok(())
}

/// A YAML run's script commands and step environments, rendered with `args` (an earlier
/// step's result counts as empty: it is checked again when it is known). One problem per
/// step, prefixed with its id.
pub fn check_yaml(steps: &[StepConfig], args: &Value) -> Vec<String> {
    let unknown_results: Map<String, Value> = steps.iter().map(|s| (s.id.clone(), Value::Null)).collect();
    let render = |t: &str, q| template::render_lenient(t, args, &unknown_results, q).ok();
    let mut problems = Vec::new();
    for step in steps {
        let command = match (step.kind, step.command.as_deref()) {
            (Some(StepKind::Script), Some(c)) => render(c, Quote::Shell).unwrap_or_default(),
            _ => String::new(),
        };
        let env = step
            .env
            .iter()
            .map(|(k, v)| (k.clone(), render(v, Quote::None).unwrap_or_default()))
            .collect();
        if let Err(e) = check(&command, &env) {
            problems.push(format!("step \"{}\": {e}", step.id));
        }
    }
    problems
}

/// `ARG_MAX` as the C library reports it (a quarter of the stack limit), at least the POSIX
/// minimum and at most the 6 MiB the kernel allows whatever the stack (3/4 of `_STK_LIM`).
fn arg_max() -> usize {
    crate::sys::process::arg_max().clamp(128 * 1024, 6 << 20)
}

fn kib(bytes: usize) -> String {
    format!("{} KiB", bytes.div_ceil(1024))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_argument_at_the_limit_passes_and_one_byte_more_does_not() {
        let env = BTreeMap::new();
        assert!(check(&"x".repeat(MAX_ARG_BYTES), &env).is_ok());
        let e = check(&"x".repeat(MAX_ARG_BYTES + 1), &env).unwrap_err();
        assert!(
            e.starts_with("the command is 128 KiB") && e.contains("MAX_ARG_STRLEN"),
            "{e}"
        );
    }

    #[test]
    fn a_large_environment_variable_is_named() {
        let env = BTreeMap::from([("BIG".to_string(), "x".repeat(MAX_ARG_BYTES))]);
        let e = check("true", &env).unwrap_err();
        assert!(e.starts_with("env.BIG is 129 KiB"), "{e}");
    }

    #[test]
    fn many_variables_each_small_can_still_be_too_many() {
        let env = (0..80).map(|i| (format!("V{i}"), "x".repeat(100 * 1024))).collect();
        let e = check("true", &env).unwrap_err();
        assert!(e.contains("ARG_MAX"), "{e}");
    }
}
