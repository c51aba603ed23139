//! The kinds of work a step does outside the JS worker: `script` runs a shell command (agent
//! steps are in `crate::agent`; `function` steps run inside the worker). `spawn` starts the
//! shell without forking the engine; `env` is the environment every step starts from; `guard`
//! stops what steps left running when the engine dies.

pub mod argv;
pub mod env;
pub mod guard;
pub mod process;
pub mod script;
pub mod spawn;

// What the processes of steps may reach (Landlock), set up by `spawn` and `crate::agent`;
// what a script step left holding its output when its shell exited.
pub mod confine;
pub mod holders;
