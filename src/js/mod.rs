//! The JavaScript side: the JS worker process (`__worker`) hosting one `JsRuntime` per run.
//!
//! `child` is that process's main loop, `ops` the `#[op2]` ops behind `ctx`, `loader` module
//! resolution and TypeScript transpiling (`resolve` finds relative imports as `tsc` does),
//! `locate` places in a source for errors without a stack, `protocol` the messages both
//! processes exchange, `memory` the worker's heap limit.

pub mod child;
pub mod loader;
pub mod locate;
mod memory;
pub mod ops;
pub mod protocol;
mod resolve;
