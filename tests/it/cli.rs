//! The command line without a server: `resume` refusals, and `runs` telling a run whose
//! engine died.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Stdio};

use crate::util::*;

/// A `workflow-engine run` in the background, as in another terminal.
struct Driven {
    child: Child,
    out: BufReader<ChildStdout>,
    id: String,
}

impl Driven {
    /// Starts the run in a process group of its own and reads the run id it prints first.
    fn start(sb: &Sandbox, file: &std::path::Path) -> Driven {
        let mut child = sb
            .cmd(&["run", file.to_str().unwrap()])
            .stdout(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap();
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        out.read_line(&mut first).unwrap();
        let id = first
            .trim()
            .strip_prefix("run ")
            .unwrap_or_else(|| panic!("not a run id: {first}"))
            .to_string();
        Driven { child, out, id }
    }

    /// Its exit code and the rest of what it printed.
    fn finish(&mut self) -> (Option<i32>, String) {
        let mut rest = String::new();
        self.out.read_to_string(&mut rest).unwrap();
        (self.child.wait().unwrap().code(), rest)
    }
}

impl Drop for Driven {
    /// A failed test leaves no run behind, waiting for a file that never comes.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: our child, not yet reaped, leads its own process group.
            unsafe { libc::killpg(self.child.id() as i32, libc::SIGKILL) };
            let _ = self.child.wait();
        }
    }
}

fn yaml(steps: &[(&str, &str)]) -> String {
    let mut y = String::from("name: Cli\nphases: [p]\nsteps:\n");
    for (id, command) in steps {
        y.push_str(&format!(
            "  - id: {id}\n    phase: p\n    type: script\n    command: {command:?}\n"
        ));
    }
    y
}

fn refused(o: &std::process::Output, message: &str) {
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(o), stderr(o));
    assert_eq!(stdout(o), "", "a refusal prints nothing else");
    assert!(stderr(o).contains(message), "{}", stderr(o));
}

#[test]
fn a_refused_resume_prints_only_the_refusal() {
    let sb = Sandbox::new();
    let done = sb.write("done.yaml", &yaml(&[("a", "true")]));
    let out = sb.run(&["run", done.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    refused(
        &sb.run(&["resume", &run_id(&out)]),
        "is completed and cannot be resumed",
    );
    refused(&sb.run(&["resume", "nope"]), "no run nope");

    let long = sb.write("long.yaml", &yaml(&[("long", "touch started; exec sleep 30")]));
    let mut driven = Driven::start(&sb, &long);
    wait_until(20, "the step to start", || sb.project().join("started").exists());
    for _ in 0..2 {
        // SAFETY: signalling our own child; Ctrl-C twice cancels.
        unsafe { libc::kill(driven.child.id() as i32, libc::SIGINT) };
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let id = driven.id.clone();
    assert_eq!(driven.finish().0, Some(130));
    refused(&sb.run(&["resume", &id]), "is cancelled and cannot be resumed");
}

#[test]
fn runs_shows_a_run_whose_engine_died_and_resume_continues_it() {
    let sb = Sandbox::new();
    let file = sb.write(
        "crash.yaml",
        &yaml(&[
            ("one", "echo one >> side.txt"),
            (
                "slow",
                "if [ -e again ]; then echo slow >> side.txt; else touch again; exec sleep 30; fi",
            ),
            ("three", "echo three >> side.txt"),
        ]),
    );
    let mut driven = Driven::start(&sb, &file);
    wait_until(20, "the slow step to start", || sb.project().join("again").exists());
    let row = |sb: &Sandbox, id: &str| {
        let list = sb.run(&["runs"]);
        assert!(list.status.success(), "{}", stderr(&list));
        let text = stdout(&list);
        text.lines()
            .find(|l| l.starts_with(id))
            .unwrap_or_else(|| panic!("{text}"))
            .to_string()
    };
    let id = driven.id.clone();
    let alive = row(&sb, &id);
    assert!(alive.contains("running") && !alive.contains("engine gone"), "{alive}");

    // SAFETY: killing the process group we made for the run.
    unsafe { libc::killpg(driven.child.id() as i32, libc::SIGKILL) };
    driven.finish();
    let dead = row(&sb, &id);
    assert!(dead.contains("running (engine gone: resume to continue)"), "{dead}");

    let resumed = sb.run(&["resume", &id]);
    assert!(resumed.status.success(), "{}{}", stdout(&resumed), stderr(&resumed));
    assert!(
        stdout(&resumed).contains("step \"slow\" was interrupted; it runs again (attempt 2)"),
        "{}",
        stdout(&resumed)
    );
    let side = std::fs::read_to_string(sb.project().join("side.txt")).unwrap();
    assert_eq!(side, "one\nslow\nthree\n");
    let after = row(&sb, &id);
    assert!(after.contains("completed") && !after.contains("engine gone"), "{after}");
}

#[test]
fn resume_says_which_failed_step_runs_again_and_at_which_attempt() {
    let sb = Sandbox::new();
    let file = sb.write("flaky.yaml", &yaml(&[("one", "true"), ("two", "test -f go")]));
    let out = sb.run(&["run", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    sb.write("go", "");
    let resumed = sb.run(&["resume", &run_id(&out)]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    let text = stdout(&resumed);
    assert!(
        text.contains("step \"two\" failed; it runs again (attempt 2)"),
        "{text}"
    );
    assert!(
        !text.contains("step \"one\""),
        "a completed step is not run again: {text}"
    );
}
