//! The one integration-test binary: real processes, real SQLite files, real workers.

mod server_util;
mod util;

mod agents;
mod attack;
mod background;
mod budgets;
mod cli;
mod cli_waits;
mod concurrency_keys;
mod concurrency_resume;
mod confinement;
mod definitions;
mod durability;
mod examples;
mod failures;
mod file_modes;
mod git_exclude;
mod hostile_definitions;
mod layout;
mod limits;
mod many_runs;
mod orphans;
mod pause_now;
mod replay;
mod reruns;
mod retries;
mod retry_waits;
mod secrets;
mod server;
mod step_env;
mod typescript;
mod workspaces;
mod workspaces_resume;
mod yaml_flow;
mod zod_args;
