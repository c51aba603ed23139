//! The processes steps run in: everything between a step that must run a command and the
//! child process doing it. `script` runs a script step's shell command (agent CLIs are
//! started by `crate::agent`, function steps run in the JS worker); `spawn` starts the shell
//! without forking the engine; `env` is the environment every step starts from; `argv` keeps
//! command lines within Linux's limits; `group` stops a process and everything it started;
//! `guard` stops what steps left running when the engine dies.

pub mod argv;
pub mod env;
pub mod group;
pub mod guard;
pub mod script;
pub mod spawn;

// What the processes of steps may reach (Landlock), set up by `spawn` and `crate::agent`;
// what a script step left holding its output when its shell exited.
pub mod confine;
pub mod holders;
