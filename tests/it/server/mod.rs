//! The server over a real socket: every endpoint, its errors, and who may see what.

mod api;
mod artifacts;
mod disk_full;
mod openapi;
mod queue;
mod secrets;
mod web;
pub mod ws;
