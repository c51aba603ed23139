//! TEMPORARY (A2, until ws-core's mod.rs lands).
pub mod changes;
pub mod git;
pub mod snapshot;
#[cfg(test)]
mod snapshot_tests;
