//! The command line without a server: `resume` refusals, `runs` telling a run whose engine
//! died, and `show`, `logs`, `pause` and `cancel` on runs another process drives.

use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdout, Stdio};

use serde_json::Value;

use crate::util::*;

/// A `workflow-engine run` in the background, as in another terminal.
struct Driven {
    child: Child,
    out: BufReader<ChildStdout>,
    id: String,
}

impl Driven {
    /// Starts a run of `steps` in a process group of its own and reads the run id it
    /// prints first.
    fn start(sb: &Sandbox, name: &str, steps: &[(&str, &str)]) -> Driven {
        let file = sb.write(name, &yaml(steps));
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

/// Runs `steps` to their end with the exit code `code`; the run's id.
fn finished_run(sb: &Sandbox, name: &str, steps: &[(&str, &str)], code: i32) -> String {
    let out = sb.run(&["run", sb.write(name, &yaml(steps)).to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(code), "{}{}", stdout(&out), stderr(&out));
    run_id(&out)
}

fn json_of(o: &std::process::Output) -> Value {
    serde_json::from_str(&stdout(o)).unwrap_or_else(|e| panic!("{e}: {}{}", stdout(o), stderr(o)))
}

/// Waits until `step` of run `id` has written `text` to its `events.jsonl`, which happens
/// only once the step's start is recorded.
fn wait_for_line(sb: &Sandbox, id: &str, step: &str, text: &str) {
    let events = sb.run_dir(id).join("logs").join(step).join("events.jsonl");
    wait_until(20, &format!("{step} to print {text}"), || {
        std::fs::read_to_string(&events).is_ok_and(|t| t.contains(text))
    });
}

fn refused(o: &std::process::Output, message: &str) {
    assert_eq!(o.status.code(), Some(2), "{}{}", stdout(o), stderr(o));
    assert_eq!(stdout(o), "", "a refusal prints nothing else");
    assert!(stderr(o).contains(message), "{}", stderr(o));
}

#[test]
fn a_refused_resume_prints_only_the_refusal() {
    let sb = Sandbox::new();
    let done = finished_run(&sb, "done.yaml", &[("a", "true")], 0);
    refused(&sb.run(&["resume", &done]), "is completed and cannot be resumed");
    refused(&sb.run(&["resume", "nope"]), "no run nope");

    let mut driven = Driven::start(&sb, "long.yaml", &[("long", "touch started; exec sleep 30")]);
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
    let slow = "if [ -e again ]; then echo slow >> side.txt; else touch again; echo waiting; exec sleep 30; fi";
    let steps = [
        ("one", "echo one >> side.txt"),
        ("slow", slow),
        ("three", "echo three >> side.txt"),
    ];
    let mut driven = Driven::start(&sb, "crash.yaml", &steps);
    wait_for_line(&sb, &driven.id, "slow", "waiting");
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
    let id = finished_run(&sb, "flaky.yaml", &[("one", "true"), ("two", "test -f go")], 1);
    sb.write("go", "");
    let resumed = sb.run(&["resume", &id]);
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

#[test]
fn show_prints_steps_with_status_attempt_duration_and_comments() {
    let sb = Sandbox::new();
    let id = finished_run(&sb, "two.yaml", &[("build", "sleep 0.3"), ("ship", "exit 3")], 1);

    let shown = sb.run(&["show", &id]);
    assert!(shown.status.success(), "{}", stderr(&shown));
    let text = stdout(&shown);
    let line = |start: &str| {
        text.lines()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no line {start}: {text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(line("status"), ["status", "failed"]);
    let build = line("build");
    assert_eq!(build[..5], ["build", "p", "script", "completed", "1"], "{text}");
    assert!(
        build[5].ends_with("ms") || build[5].ends_with('s'),
        "a duration: {text}"
    );
    assert_eq!(line("ship")[..5], ["ship", "p", "script", "failed", "1"], "{text}");
    assert!(line("ship").join(" ").contains("command exited with code 3"), "{text}");
    assert!(text.contains("comments:") && text.contains("Run failed"), "{text}");

    let json = json_of(&sb.run(&["show", &id, "--json"]));
    assert_eq!(json["id"], id.as_str());
    assert_eq!(json["status"], "failed");
    assert_eq!(json["engine_gone"], false);
    let steps = json["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    assert_eq!(
        (&steps[0]["step_id"], &steps[0]["status"]),
        (&"build".into(), &"completed".into())
    );
    assert!(steps[0]["duration_ms"].as_u64().unwrap() >= 200, "{}", steps[0]);
    assert_eq!(steps[1]["attempt"], 1);
    assert_eq!(steps[1]["result"]["data"]["exitCode"], 3);
    assert!(json["comments"][0]["text"].as_str().unwrap().starts_with("Run failed"));

    refused(&sb.run(&["show", "nope"]), "no run nope");
    refused(&sb.run(&["show", "nope", "--json"]), "no run nope");
}

#[test]
fn logs_print_each_steps_lines_in_order_and_refuse_an_unknown_step() {
    let sb = Sandbox::new();
    let steps = [
        ("a", "echo a1; sleep 0.2; echo a2 >&2"),
        ("quiet", "true"),
        ("b", "echo b1"),
    ];
    let id = finished_run(&sb, "talk.yaml", &steps, 0);

    let all = sb.run(&["logs", &id]);
    assert!(all.status.success(), "{}", stderr(&all));
    assert_eq!(stdout(&all), "── a ──\na1\na2\n── b ──\nb1\n");
    let one = sb.run(&["logs", &id, "b"]);
    assert_eq!(stdout(&one), "── b ──\nb1\n");
    assert_eq!(
        stdout(&sb.run(&["logs", &id, "quiet"])),
        "",
        "a quiet step has no lines"
    );

    let json = sb.run(&["logs", &id, "a", "--json"]);
    let records: Vec<Value> = stdout(&json)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records.len(), 2, "{}", stdout(&json));
    assert_eq!(
        (&records[0]["step"], &records[0]["type"], &records[0]["text"]),
        (&"a".into(), &"stdout".into(), &"a1".into())
    );
    assert_eq!(
        (&records[1]["type"], &records[1]["text"]),
        (&"stderr".into(), &"a2".into())
    );
    assert!(records[0]["ts"].is_string());

    refused(
        &sb.run(&["logs", &id, "nope"]),
        "has no step \"nope\" (its steps so far: a, quiet, b)",
    );
    refused(&sb.run(&["logs", "nope"]), "no run nope");
    refused(&sb.run(&["logs", "nope", "-f"]), "no run nope");
}

#[test]
fn logs_follow_prints_a_running_steps_lines_until_it_ends() {
    let sb = Sandbox::new();
    let wait = "echo first; while [ ! -e go ]; do sleep 0.05; done; echo second";
    let mut driven = Driven::start(&sb, "wait.yaml", &[("wait", wait), ("after", "echo later")]);
    wait_for_line(&sb, &driven.id, "wait", "first");
    let follow = |args: &[&str]| {
        let mut child = sb.cmd(args).stdout(Stdio::piped()).spawn().unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        (child, lines.map(Result::unwrap))
    };
    let (mut step_follower, mut step_lines) = follow(&["logs", &driven.id, "wait", "-f"]);
    let (mut run_follower, mut run_lines) = follow(&["logs", &driven.id, "-f"]);
    for lines in [&mut step_lines, &mut run_lines] {
        assert_eq!(lines.next().unwrap(), "── wait ──");
        assert_eq!(lines.next().unwrap(), "first");
    }
    assert!(
        step_follower.try_wait().unwrap().is_none(),
        "it follows the running step"
    );
    sb.write("go", "");
    assert_eq!(step_lines.collect::<Vec<_>>(), ["second"], "it ends with the step");
    assert!(step_follower.wait().unwrap().success());
    let rest: Vec<_> = run_lines.collect();
    assert_eq!(
        rest,
        ["second", "── after ──", "later"],
        "the run's follower ends with the run"
    );
    assert!(run_follower.wait().unwrap().success());
    let (code, _) = driven.finish();
    assert_eq!(code, Some(0));
}

#[tokio::test]
async fn pause_and_cancel_steer_a_run_another_process_drives() {
    let sb = Sandbox::new();
    let slow = "touch slow.started; while [ ! -e go ]; do sleep 0.05; done";
    let mut driven = Driven::start(&sb, "steer.yaml", &[("slow", slow), ("next", "touch next.ran")]);
    let id = driven.id.clone();
    wait_until(20, "the slow step to start", || {
        sb.project().join("slow.started").exists()
    });
    refused(&sb.run(&["resume", &id]), "another engine process drives it");
    let pause = sb.cmd(&["pause", &id]).stdout(Stdio::piped()).spawn().unwrap();
    let store = sb.store().await;
    while run_row(&store, &id).await.control_request.is_none() {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The driving engine reads requests about once a second: the step ends after that.
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    sb.write("go", "");
    let paused = pause.wait_with_output().unwrap();
    assert!(paused.status.success(), "{}", stderr(&paused));
    assert_eq!(stdout(&paused), format!("run {id} paused\n"));
    let (code, rest) = driven.finish();
    assert_eq!(code, Some(130), "{rest}");
    assert!(
        !sb.project().join("next.ran").exists(),
        "the run paused after the step in flight"
    );
    refused(
        &sb.run(&["pause", &id]),
        "it is paused (only a running or waiting run can be paused)",
    );

    let cancelled = json_of(&sb.run(&["cancel", &id, "--json"]));
    assert_eq!(
        (&cancelled["id"], &cancelled["status"]),
        (&id.as_str().into(), &"cancelled".into())
    );
    assert!(cancelled["cancelled_at"].is_string());
    refused(&sb.run(&["cancel", &id]), "it is cancelled (the run has already ended)");
    refused(&sb.run(&["pause", "nope"]), "no run nope");
    refused(&sb.run(&["cancel", "nope"]), "no run nope");
}

#[tokio::test]
async fn cancel_stops_a_run_another_process_drives() {
    let sb = Sandbox::new();
    let two = [("long", "echo begun; exec sleep 30"), ("never", "touch never")];
    let mut driven = Driven::start(&sb, "long.yaml", &two);
    let id = driven.id.clone();
    wait_for_line(&sb, &id, "long", "begun");
    let started = std::time::Instant::now();
    let cancelled = sb.run(&["cancel", &id]);
    assert!(cancelled.status.success(), "{}", stderr(&cancelled));
    assert_eq!(stdout(&cancelled), format!("run {id} cancelled\n"));
    let (code, rest) = driven.finish();
    assert_eq!(code, Some(130), "{rest}");
    assert!(started.elapsed().as_secs() < 10, "the step was killed, not waited for");
    assert!(!sb.project().join("never").exists());
    let steps = steps(&sb.store().await, &id).await;
    assert_eq!((steps[0].status.as_str(), steps.len()), ("failed", 1));
}

#[tokio::test]
async fn a_run_whose_engine_died_is_shown_interrupted_cannot_be_paused_and_is_cancelled_directly() {
    let sb = Sandbox::new();
    let mut driven = Driven::start(&sb, "long.yaml", &[("long", "echo begun; exec sleep 30")]);
    let id = driven.id.clone();
    wait_for_line(&sb, &id, "long", "begun");
    // SAFETY: killing the process group we made for the run.
    unsafe { libc::killpg(driven.child.id() as i32, libc::SIGKILL) };
    driven.finish();

    let shown = stdout(&sb.run(&["show", &id]));
    assert!(
        shown.contains("status   running (engine gone: resume to continue)"),
        "{shown}"
    );
    let step = shown.lines().find(|l| l.starts_with("long")).unwrap();
    assert!(step.contains("interrupted"), "{shown}");
    assert_eq!(json_of(&sb.run(&["show", &id, "--json"]))["engine_gone"], true);
    refused(&sb.run(&["pause", &id]), "its engine is gone");
    let followed = sb.run(&["logs", &id, "-f"]);
    assert_eq!(
        stdout(&followed),
        "── long ──\nbegun\n",
        "follows nothing a dead engine drives"
    );

    let cancelled = sb.run(&["cancel", &id]);
    assert_eq!(
        stdout(&cancelled),
        format!("run {id} cancelled\n"),
        "{}",
        stderr(&cancelled)
    );
    let store = sb.store().await;
    let run = run_row(&store, &id).await;
    assert_eq!((run.status.as_str(), run.lease_owner), ("cancelled", None));
    let steps = steps(&store, &id).await;
    assert_eq!(steps[0].status, "failed");
    refused(&sb.run(&["resume", &id]), "is cancelled and cannot be resumed");
}
