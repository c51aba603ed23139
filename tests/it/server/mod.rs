//! The server over a real socket: every endpoint, its errors, and who may see what.

mod accounts;
mod api;
mod artifacts;
mod auth;
mod comment_types;
mod disk_full;
mod openapi;
mod queue;
mod tokens;
mod web;
pub mod ws;
