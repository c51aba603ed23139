//! Limits a workflow meets through the CLI: a command line too long for the kernel, a JS
//! worker's memory, names with invisible control characters, and thrown values that are
//! not `Error`s.

use crate::util::*;

#[test]
fn a_command_grown_too_long_by_an_earlier_result_fails_its_step_before_it_starts() {
    // A step's `stdout` keeps its last 64 KiB; three of them make a command over 128 KiB.
    let sb = Sandbox::new();
    let file = sb.write(
        "grow.yaml",
        "name: Grow\nphases: [p]\nsteps:\n  - id: make\n    phase: p\n    type: script\n    command: head -c 70000 /dev/zero | tr '\\0' x\n  - id: use\n    phase: p\n    type: script\n    command: echo {{ steps.make.data.stdout }}{{ steps.make.data.stdout }}{{ steps.make.data.stdout }} > used.txt\n",
    );
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = format!("{}{}", stdout(&out), stderr(&out));
    assert!(
        err.contains("step \"use\" failed: the command is 193 KiB once its placeholders are filled in")
            && err.contains("MAX_ARG_STRLEN"),
        "{err}"
    );
    assert!(
        !sb.project().join("used.txt").exists(),
        "the step's shell never started"
    );
}
