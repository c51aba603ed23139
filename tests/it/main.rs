//! The one integration-test binary: real processes, real SQLite files, real workers.

mod server_util;
mod util;

mod agents;
mod attack;
mod background;
mod cli;
mod confinement;
mod definitions;
mod durability;
mod examples;
mod failures;
mod hostile_definitions;
mod many_runs;
mod orphans;
mod replay;
mod server;
mod typescript;
mod zod_args;
