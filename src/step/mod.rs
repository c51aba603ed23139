//! The kinds of work a step does outside the JS worker: `script` runs a shell command (agent
//! steps are in `crate::agent`; `function` steps run inside the worker). `spawn` starts the
//! shell without forking the engine; `guard`
//! stops what steps left running when the engine dies.

pub mod confine;
pub mod guard;
pub mod process;
pub mod script;
pub mod spawn;
