//! The JavaScript side: a worker process hosting one `JsRuntime` per run.
//!
//! `worker` is the child's main loop, `ops` the `#[op2]` ops behind `ctx`, `loader` module
//! resolution and TypeScript transpiling, `protocol` the messages both processes exchange.

pub mod loader;
pub mod ops;
pub mod protocol;
pub mod worker;
