//! The one integration-test binary: real processes, real SQLite files, real workers.

mod server_util;
mod util;

mod agents;
mod attack;
mod background;
mod cli;
mod confinement;
mod durability;
mod examples;
mod failures;
mod many_runs;
mod orphans;
mod replay;
mod server;
mod typescript;
mod zod_args;
