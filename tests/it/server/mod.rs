//! The server over a real socket: every endpoint, its errors, and who may see what.

mod api;
mod artifacts;
mod disk_full;
mod limits;
mod openapi;
mod projects_root;
mod queue;
mod web;
pub mod ws;
