//! The operating system below the engine (Linux, glibc), behind safe functions: the system
//! calls it makes for speed and memory, and the kernel features it leans on. Each function
//! says what it does and why; the rest of the crate calls these instead of `libc`.
//!
//! - `spawn`: starting a step's process with `clone(CLONE_VM | CLONE_VFORK)`, its pipes, its
//!   exit descriptor, reaping it.
//! - `process`: signals to a process or a group, whether a pid lives, the effective user,
//!   the death signal of a child.
//! - `memory`: malloc's arenas and free heap, the binary's clean pages.
//! - `fs`: ext4's `+T` placement flag, a whole-file lock.
//!
//! Two sets of system calls live with their subject instead: Landlock's
//! (`subprocess::confine::landlock`, its ABI's structs and rights beside the three calls) and
//! SQLite's busy handler (`store`, SQLite's C API rather than the kernel's).

pub mod fs;
pub mod memory;
pub mod process;
pub mod spawn;
