//! Runs that wait, from the command line: `run` off a terminal leaves a gate waiting (exit 5)
//! and says how to continue; `approve` and `signal` decide and continue it here, or leave it
//! to a live server; a sleep is waited out; on a (pseudo-)terminal `run` asks the gate, and
//! notices a decision made elsewhere.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::server_util::*;
use crate::util::*;

const GATE_YAML: &str = r#"name: Gate
phases: [plan, build]
steps:
  - id: plan
    phase: plan
    type: script
    command: echo "the plan"
  - id: approve-plan
    phase: plan
    type: approval
    title: "Approve the plan"
    description: "The plan: {{ steps.plan.data.stdout }}"
  - id: build
    phase: build
    type: script
    command: echo built
"#;

const FORM_YAML: &str = r#"name: Form
phases: [p]
steps:
  - id: approve-budget
    phase: p
    type: approval
    title: "Approve the budget"
    form:
      type: object
      required: [budget]
      properties:
        budget: { type: number, minimum: 1 }
  - id: spend
    phase: p
    type: script
    command: echo spending {{ steps.approve-budget.data.input.budget }}
"#;

const SIGNAL_YAML: &str = r#"name: Sig
phases: [p]
steps:
  - id: approve
    phase: p
    type: approval
    title: "Go?"
  - id: go
    phase: p
    type: signal
    signal: go
  - id: later
    phase: p
    type: signal
    signal: later
  - id: after
    phase: p
    type: script
    command: echo n={{ steps.go.data.payload.n }} x={{ steps.later.data.payload.x }}
"#;

fn code_and_text(o: &std::process::Output) -> (Option<i32>, String) {
    (o.status.code(), format!("{}{}", stdout(o), stderr(o)))
}

/// `run` of `yaml` off a terminal, which must stop waiting (exit 5); the run's id and output.
fn left_waiting(sb: &Sandbox, name: &str, yaml: &str) -> (String, String) {
    let out = sb.run(&["run", sb.write(name, yaml).to_str().unwrap()]);
    let (code, text) = code_and_text(&out);
    assert_eq!(code, Some(5), "{text}");
    (run_id(&out), stdout(&out))
}

fn step_result(steps: &[StepInfo], key: &str) -> Value {
    let step = steps
        .iter()
        .find(|s| s.step_id == key)
        .unwrap_or_else(|| panic!("no step {key}"));
    serde_json::from_str(step.result.as_deref().unwrap_or("null")).unwrap()
}

#[tokio::test]
async fn off_a_terminal_a_gate_exits_5_and_approve_continues_the_run() {
    let sb = Sandbox::new();
    let (id, out) = left_waiting(&sb, "gate.yaml", GATE_YAML);
    assert!(
        out.contains("⏸ approve-plan  waiting for approval: \"Approve the plan\""),
        "{out}"
    );
    assert!(
        out.contains(&format!("workflow-engine approve {id} approve-plan\n")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "workflow-engine approve {id} approve-plan --request-changes -m"
        )),
        "{out}"
    );
    assert!(!out.contains("failed"), "{out}");
    let store = sb.store().await;
    let run = run_row(&store, &id).await;
    assert_eq!(run.status.as_str(), "waiting");
    assert_eq!(run.lease_owner, None, "the lease is given up");
    assert_eq!(steps(&store, &id).await.len(), 2, "build has not started");

    let runs = stdout(&sb.run(&["runs"]));
    assert!(runs.contains("waiting (approval: \"Approve the plan\")"), "{runs}");
    let shown = stdout(&sb.run(&["show", &id]));
    assert!(shown.contains("approvers: anyone"), "{shown}");

    let out = sb.run(&["approve", &id, "approve-plan", "-m", "ok"]);
    let (code, text) = code_and_text(&out);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("approved \"approve-plan\""), "{text}");
    assert!(text.contains(&format!("run {id} completed")), "{text}");
    assert_eq!(run_row(&store, &id).await.status.as_str(), "completed");
    let gate = step_result(&steps(&store, &id).await, "approve-plan");
    assert_eq!(gate["data"]["comment"], "ok");
    assert!(gate["data"]["by"].as_str().unwrap().starts_with("cli:"), "{gate}");
    let shown = stdout(&sb.run(&["show", &id]));
    assert!(shown.contains("decided: approved by cli:"), "{shown}");
}

#[tokio::test]
async fn a_rejection_fails_the_run_and_a_second_decision_is_refused() {
    let sb = Sandbox::new();
    let (id, _) = left_waiting(&sb, "gate.yaml", GATE_YAML);
    let (code, text) = code_and_text(&sb.run(&["approve", "nope"]));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("no run nope"), "{text}");
    let (code, text) = code_and_text(&sb.run(&["approve", &id, "--request-changes"]));
    assert_eq!(code, Some(2), "a request for changes needs a comment: {text}");

    // No step named: the only gate waiting.
    let (code, text) = code_and_text(&sb.run(&["approve", &id, "--reject", "-m", "no"]));
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("\"approve-plan\" was rejected by cli:"), "{text}");
    assert!(text.contains(&format!("run {id} failed")), "{text}");
    assert_eq!(run_row(&sb.store().await, &id).await.status.as_str(), "failed");

    let out = sb.run(&["approve", &id, "approve-plan"]);
    let (code, text) = code_and_text(&out);
    assert_eq!(code, Some(2), "{text}");
    assert!(stderr(&out).contains("already decided: rejected by cli:"), "{text}");
}

#[tokio::test]
async fn a_signal_is_kept_until_waited_for_and_sent_once_per_key() {
    let sb = Sandbox::new();
    let (id, _) = left_waiting(&sb, "sig.yaml", SIGNAL_YAML);
    let early = ["signal", &id, "go", "--payload", r#"{"n":1}"#, "--key", "k1"];
    let (code, text) = code_and_text(&sb.run(&early));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("kept"), "{text}");
    let again = ["signal", &id, "go", "--payload", r#"{"n":2}"#, "--key", "k1"];
    let (code, text) = code_and_text(&sb.run(&again));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("not sent again"), "{text}");

    // The gate approved, `go` takes the kept signal, and the run waits for `later`.
    let out = sb.run(&["approve", &id]);
    let (code, text) = code_and_text(&out);
    assert_eq!(code, Some(5), "{text}");
    assert!(
        text.contains(&format!("workflow-engine signal {id} later --payload")),
        "{text}"
    );

    let out = sb.run(&["signal", &id, "later", "--payload", r#"{"x":2}"#, "-v"]);
    let (code, text) = code_and_text(&out);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("delivered to \"later\""), "{text}");
    assert!(
        text.contains("n=1 x=2"),
        "the kept signal's payload, not the duplicate's: {text}"
    );
    let (code, text) = code_and_text(&sb.run(&["signal", &id, "late"]));
    assert_eq!(code, Some(2), "a completed run takes no signals: {text}");

    let sent = db(&sb.store().await)
        .await
        .count(
            "SELECT COUNT(*) FROM workflow_signals WHERE workflow_run_id = ?",
            &[(&id).into()],
        )
        .await;
    assert_eq!(sent, 2, "the repeated key recorded nothing");
}

#[test]
fn off_a_terminal_a_run_that_only_sleeps_waits_it_out() {
    let sb = Sandbox::new();
    let yaml = "name: Nap\nphases: [p]\nsteps:\n  - id: nap\n    phase: p\n    type: sleep\n    duration: 1s\n  - id: after\n    phase: p\n    type: script\n    command: echo after\n";
    let started = Instant::now();
    let out = sb.run(&["run", sb.write("nap.yaml", yaml).to_str().unwrap()]);
    let (code, text) = code_and_text(&out);
    assert_eq!(code, Some(0), "{text}");
    assert!(started.elapsed() >= Duration::from_secs(1), "it slept");
    assert!(text.contains("⏸ nap  sleeping until"), "{text}");
    assert!(text.contains("✓ after"), "{text}");
}

/// `workflow-engine ARGS` on a pseudo-terminal (util-linux `script`), its output gathered
/// as it comes, its input written by the test.
struct Pty {
    child: Child,
    input: ChildStdin,
    output: Arc<Mutex<String>>,
}

impl Pty {
    fn start(sb: &Sandbox, args: &[&str]) -> Pty {
        assert!(
            Command::new("script").arg("--version").output().is_ok(),
            "these tests need `script` (util-linux)"
        );
        let line: Vec<String> = std::iter::once(BIN)
            .chain(args.iter().copied())
            .map(|a| format!("'{a}'"))
            .collect();
        let mut child = Command::new("script")
            .args(["-qefc", &line.join(" "), "/dev/null"])
            .current_dir(sb.project())
            .env("WORKFLOW_ENGINE_DATA_DIR", sb.data_dir())
            .env("DATABASE_URL", sb.database_url.as_deref().unwrap_or(""))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("start script");
        let output = Arc::new(Mutex::new(String::new()));
        let (mut out, gathered) = (child.stdout.take().unwrap(), output.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = out.read(&mut buf) {
                if n == 0 {
                    break;
                }
                gathered.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let input = child.stdin.take().unwrap();
        Pty { child, input, output }
    }

    fn text(&self) -> String {
        self.output.lock().unwrap().replace('\r', "")
    }

    /// Waits until the output holds `text`.
    fn wait_for(&self, text: &str) {
        wait_until(30, &format!("the terminal to show {text:?}"), || {
            self.text().contains(text)
        });
    }

    fn send(&mut self, line: &str) {
        self.input.write_all(format!("{line}\n").as_bytes()).unwrap();
        self.input.flush().unwrap();
    }

    /// The run id the command printed first.
    fn run_id(&self) -> String {
        self.wait_for("\n");
        let text = self.text();
        let first = text.lines().next().unwrap();
        first
            .strip_prefix("run ")
            .unwrap_or_else(|| panic!("{text}"))
            .trim()
            .to_string()
    }

    /// Its exit code (within 30 s) and everything it printed.
    fn finish(&mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                std::thread::sleep(Duration::from_millis(100));
                return (status.code(), self.text());
            }
            assert!(Instant::now() < deadline, "it did not end: {}", self.text());
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Pty {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SAFETY: our child, not yet reaped, leads its own process group.
            unsafe { libc::killpg(self.child.id() as i32, libc::SIGKILL) };
            let _ = self.child.wait();
        }
    }
}

#[tokio::test]
async fn on_a_terminal_run_asks_the_gate_and_its_form() {
    let sb = Sandbox::new();
    let file = sb.write("form.yaml", FORM_YAML);
    let mut pty = Pty::start(&sb, &["run", file.to_str().unwrap()]);
    pty.wait_for("[a]pprove, [r]equest changes, re[j]ect: ");
    pty.send("a");
    pty.wait_for("budget (number, required): ");
    pty.send("lots");
    pty.wait_for("budget: a number, please");
    pty.send("0");
    pty.wait_for("minimum");
    pty.send("5");
    let (code, text) = pty.finish();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("approved by cli:"), "{text}");
    assert!(text.contains("completed"), "{text}");
    let id = pty.run_id();
    let store = sb.store().await;
    let all = steps(&store, &id).await;
    assert_eq!(
        step_result(&all, "approve-budget")["data"]["input"],
        json!({ "budget": 5 })
    );
    assert!(step_result(&all, "spend")["data"]["stdout"]
        .as_str()
        .unwrap()
        .contains("spending 5"));
}

#[tokio::test]
async fn on_a_terminal_a_decision_made_elsewhere_continues_the_run() {
    let sb = Sandbox::new();
    let file = sb.write("gate.yaml", GATE_YAML);
    let mut pty = Pty::start(&sb, &["run", file.to_str().unwrap()]);
    pty.wait_for("[a]pprove, [r]equest changes, re[j]ect: ");
    let id = pty.run_id();
    let store = sb.store().await;
    let attended = run_row(&store, &id).await;
    assert_eq!(attended.status.as_str(), "waiting");
    assert!(attended.lease_owner.is_some(), "the terminal attends the run");

    let out = sb
        .cmd(&["approve", &id, "approve-plan", "--no-wait", "-m", "fine"])
        .env("USER", "bob")
        .output()
        .unwrap();
    let (code, text) = code_and_text(&out);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("continues in the terminal that attends it"), "{text}");

    let (code, text) = pty.finish();
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("decided elsewhere: approved by cli:bob: \"fine\""),
        "{text}"
    );
    assert!(text.contains(&format!("run {id} completed")), "{text}");
}

#[tokio::test]
async fn approve_leaves_the_run_to_a_live_server() {
    let s = Server::start().await;
    let ann = s.user("ann@example.com", false);
    let (project, _) = s.project(&ann, "gated", &[("gate.yaml", GATE_YAML)]).await;
    let def = s.definition_id(&ann, &project, "Gate").await;
    let (status, body) = s
        .post(
            &ann,
            "/workflow-executions",
            json!({ "project_id": project, "workflow_definition_id": def, "args": {} }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let run = body["data"]["id"].as_str().unwrap().to_string();
    s.wait_status(&ann, &run, &["waiting"]).await;

    let out = s.sb.run(&["approve", &run, "approve-plan", "-m", "from the terminal"]);
    let (code, text) = code_and_text(&out);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("the server continues it"), "{text}");
    assert!(!text.contains("(continued)"), "not driven here: {text}");
    let done = s.wait_status(&ann, &run, &["completed", "failed"]).await;
    assert_eq!(done["status"], "completed", "{done}");
}

#[tokio::test]
async fn ctrl_c_while_a_run_waits_leaves_it_waiting() {
    use std::io::BufRead;
    let sb = Sandbox::new();
    let yaml = "name: Long nap\nphases: [p]\nsteps:\n  - id: nap\n    phase: p\n    type: sleep\n    duration: 1h\n";
    let mut child = sb
        .cmd(&["run", sb.write("nap.yaml", yaml).to_str().unwrap()])
        .stdout(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    out.read_line(&mut first).unwrap();
    let id = first.trim().strip_prefix("run ").unwrap().to_string();
    let store = sb.store().await;
    // Attended: waiting, under this process's lease (a busy machine can take a while).
    let attended = |r: &workflow_engine::store::runs::RunRow| r.status.as_str() == "waiting" && r.lease_owner.is_some();
    for _ in 0..1200 {
        if attended(&run_row(&store, &id).await) || child.try_wait().unwrap().is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let run = run_row(&store, &id).await;
    if !attended(&run) {
        // SAFETY: our child, which leads its own process group.
        unsafe { libc::killpg(child.id() as i32, libc::SIGKILL) };
        let status = child.wait().unwrap();
        let mut rest = String::new();
        out.read_to_string(&mut rest).unwrap();
        panic!(
            "the sleep is not waited out here: run {} (lease {:?}), the command {status}: {first}{rest}",
            run.status, run.lease_owner
        );
    }
    // SAFETY: signalling our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let mut status = None;
    for _ in 0..400 {
        status = child.try_wait().unwrap();
        if status.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    if status.is_none() {
        // SAFETY: our child, not yet reaped, leads its own process group.
        unsafe { libc::killpg(child.id() as i32, libc::SIGKILL) };
        let _ = child.wait();
        panic!("Ctrl-C did not end the waiting run's process");
    }
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert_eq!(status.unwrap().code(), Some(130), "{rest}");
    assert!(rest.contains(&format!("run {id} left waiting")), "{rest}");
    let run = run_row(&store, &id).await;
    assert_eq!(run.status.as_str(), "waiting");
    assert_eq!(run.lease_owner, None, "the lease is given up");
}

#[tokio::test]
async fn a_typescript_run_asks_again_after_changes_were_requested() {
    let sb = Sandbox::new();
    let ts = r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Loop",
  phases: ["plan", "implement"],
  async execute(ctx) {
    let feedback = "";
    for (let round = 1; round <= 3; round++) {
      await ctx.step(`plan-${round}`, { type: "script", phase: "plan", command: `echo "plan ${round} ${feedback}"` });
      const gate = await ctx.approval(`approve-plan-${round}`, { phase: "plan", title: `Approve plan ${round}` });
      if (gate.data.decision === "approved") break;
      feedback = gate.data.comment ?? "";
    }
    await ctx.step("implement", { type: "script", phase: "implement", command: "echo done" });
  },
});
"#;
    let (id, out) = left_waiting(&sb, "loop.ts", ts);
    assert!(
        out.contains("approve-plan-1  waiting for approval: \"Approve plan 1\""),
        "{out}"
    );
    let out = sb.run(&["approve", &id, "--request-changes", "-m", "smaller"]);
    let (code, text) = code_and_text(&out);
    assert_eq!(code, Some(5), "{text}");
    assert!(
        text.contains(&format!("workflow-engine approve {id} approve-plan-2")),
        "{text}"
    );
    let (code, text) = code_and_text(&sb.run(&["approve", &id]));
    assert_eq!(code, Some(0), "{text}");
    let all = steps(&sb.store().await, &id).await;
    assert!(step_result(&all, "plan-2")["data"]["stdout"]
        .as_str()
        .unwrap()
        .contains("plan 2 smaller"));
    assert_eq!(step_result(&all, "implement")["status"], "completed");
}

#[tokio::test]
async fn approve_checks_its_input_and_names_the_gate_when_several_wait() {
    let sb = Sandbox::new();
    let ts = r#"import { defineWorkflow } from "@repo/workflow-engine";
export default defineWorkflow({
  name: "Two gates",
  phases: ["review"],
  async execute(ctx) {
    const form = { type: "object", required: ["budget"], properties: { budget: { type: "number" } } };
    const [a, b] = await Promise.all([
      ctx.approval("legal", { title: "Legal" }),
      ctx.approval("budget", { title: "Budget", form }),
    ]);
    await ctx.step("spend", { type: "script", command: `echo "spending ${b.data.input.budget}"` });
  },
});
"#;
    let (id, out) = left_waiting(&sb, "two.ts", ts);
    assert!(out.contains(&format!("workflow-engine approve {id} legal\n")), "{out}");
    assert!(out.contains(&format!("workflow-engine approve {id} budget\n")), "{out}");

    let out = sb.run(&["approve", &id]);
    let (code, text) = code_and_text(&out);
    assert_eq!(code, Some(2), "{text}");
    assert!(stderr(&out).contains("waits at 2 gates; name one"), "{text}");

    let out = sb.run(&["approve", &id, "budget", "--input", r#"{"budget":"lots"}"#]);
    let (code, text) = code_and_text(&out);
    assert_eq!(code, Some(2), "{text}");
    assert!(stderr(&out).contains("input.budget: "), "{text}");
    let (code, text) = code_and_text(&sb.run(&["approve", &id, "budget", "--input", "{"]));
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("--input is not JSON"), "{text}");

    // One gate decided: the run still waits at the other, now the only one.
    let out = sb.run(&["approve", &id, "budget", "--input", r#"{"budget":3}"#]);
    let (code, text) = code_and_text(&out);
    assert_eq!(code, Some(5), "{text}");
    let (code, text) = code_and_text(&sb.run(&["approve", &id, "-v"]));
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("spending 3"), "{text}");
}

#[tokio::test]
async fn on_a_terminal_a_signal_wait_says_how_to_send_it_and_goes_on_when_it_comes() {
    let sb = Sandbox::new();
    let yaml = "name: Deploy\nphases: [p]\nsteps:\n  - id: deployed\n    phase: p\n    type: signal\n    signal: deploy\n  - id: after\n    phase: p\n    type: script\n    command: echo version {{ steps.deployed.data.payload.version }}\n";
    let file = sb.write("deploy.yaml", yaml);
    let mut pty = Pty::start(&sb, &["run", "-v", file.to_str().unwrap()]);
    let id = pty.run_id();
    pty.wait_for(&format!("workflow-engine signal {id} deploy --payload"));
    assert!(
        pty.text().contains("⏸ deployed  waiting for signal \"deploy\""),
        "{}",
        pty.text()
    );

    let out = sb.run(&["signal", &id, "deploy", "--payload", r#"{"version":"1.4.2"}"#]);
    let (code, text) = code_and_text(&out);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("continues in the terminal that attends it"), "{text}");
    let (code, text) = pty.finish();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("version 1.4.2"), "{text}");
}
