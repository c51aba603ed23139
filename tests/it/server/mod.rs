//! The server over a real socket: every endpoint, its errors, and who may see what.

mod accounts;
mod api;
mod artifacts;
mod auth;
mod board;
mod comment_types;
mod disk_full;
mod limits;
mod log_marks;
mod notify;
mod openapi;
mod project_labels;
mod projects_root;
pub mod queue;
mod secrets;
mod snapshot_reruns;
mod snapshot_safety;
mod snapshots;
mod tokens;
mod waits;
mod web;
mod workspaces;
pub mod ws;
