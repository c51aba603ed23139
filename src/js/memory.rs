//! A worker's memory limit: the JS runtime's heap stops at `--worker-memory-mb`, and a
//! workflow that reaches it is stopped (uncatchably) and reported as out of memory, instead
//! of growing until the machine runs out.
//!
//! QuickJS counts every allocation of the runtime against the limit, typed arrays' buffers
//! included; memory the engine's own Rust code holds for a call is not counted.

use std::cell::Cell;
use std::rc::Rc;

use deno_core::{v8, JsRuntime};

/// Room given past the limit once, when it is reached, so the runtime can unwind the
/// stopped script and the worker can report.
const UNWIND_HEADROOM_BYTES: usize = 32 << 20;

/// The limit of one worker and whether the workflow has reached it.
#[derive(Clone)]
pub struct MemoryLimit {
    mb: u64,
    exceeded: Rc<Cell<bool>>,
}

impl MemoryLimit {
    pub fn new(mb: u64) -> MemoryLimit {
        MemoryLimit {
            mb,
            exceeded: Rc::default(),
        }
    }

    /// The runtime's creation parameters with the heap limit.
    pub fn create_params(&self) -> v8::CreateParams {
        let bytes = usize::try_from(self.mb << 20).unwrap_or(usize::MAX);
        v8::CreateParams::default().heap_limits(0, bytes)
    }

    /// Stops the running script when the heap reaches the limit, and remembers that it did.
    pub fn watch(&self, runtime: &mut JsRuntime) {
        let handle = runtime.v8_isolate().thread_safe_handle();
        let exceeded = self.exceeded.clone();
        runtime.add_near_heap_limit_callback(move |current, _initial| {
            // Raised once, for the unwinding; QuickJS polls for termination only every so
            // many calls, so a loop of large native allocations (`new Array(n).fill(x)`)
            // keeps allocating until then, and further raises would let it grow unbounded.
            // Refused instead, those allocations throw and the script stops at its next op.
            if exceeded.replace(true) {
                return current;
            }
            handle.terminate_execution();
            current + UNWIND_HEADROOM_BYTES
        });
    }

    /// The message for a workflow that reached the limit, if it did.
    pub fn exceeded_message(&self) -> Option<String> {
        self.exceeded.get().then(|| self.message())
    }

    /// What a workflow that reaches the limit is told; the JS side says it too, for one
    /// allocation larger than what is left (refused without reaching the limit).
    pub fn message(&self) -> String {
        format!(
            "the workflow's JS worker ran out of memory (limit {} MB; raise it with \
             --worker-memory-mb or WORKFLOW_ENGINE_WORKER_MEMORY_MB)",
            self.mb
        )
    }
}
