//! What `run` and `resume` print as a run goes: a header per phase, a line per finished
//! step with its status and duration, a spinner on running steps (on a terminal), script
//! output with `--verbose`, and the workflow's console output.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use tokio::sync::broadcast::{self, error::RecvError};
use tokio::task::JoinHandle;

use crate::definition::format_ms;
use crate::domain::{RunStatus, StepStatus};
use crate::engine::run::RunOutcome;
use crate::events::Event;

const SPINNER: &[char] = &['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

pub struct Display {
    task: JoinHandle<()>,
    stop: tokio::sync::oneshot::Sender<()>,
}

impl Display {
    pub fn start(events: broadcast::Receiver<Event>, run_id: String, verbose: bool) -> Display {
        let (stop, stop_rx) = tokio::sync::oneshot::channel();
        let task = tokio::spawn(show(events, run_id, verbose, stop_rx));
        Display { task, stop }
    }

    /// Prints what is still queued, then stops.
    pub async fn finish(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

struct State {
    verbose: bool,
    tty: bool,
    phase: Option<String>,
    /// Running steps by step key: (name, started).
    running: BTreeMap<String, (String, Instant)>,
    tick: usize,
    spinner_shown: bool,
}

async fn show(
    mut events: broadcast::Receiver<Event>,
    run_id: String,
    verbose: bool,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let mut st = State {
        verbose,
        tty: std::io::stdout().is_terminal(),
        phase: None,
        running: BTreeMap::new(),
        tick: 0,
        spinner_shown: false,
    };
    let mut ticker = tokio::time::interval(Duration::from_millis(100));
    let mut stopping = false;
    loop {
        tokio::select! {
            ev = events.recv() => match ev {
                Ok(ev) if ev.execution_id() == run_id => st.on_event(ev),
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => break,
            },
            _ = ticker.tick(), if st.tty => st.draw_spinner(),
            _ = &mut stop, if !stopping => stopping = true,
        }
        if stopping && events.is_empty() {
            break;
        }
    }
    st.clear_spinner();
}

impl State {
    fn on_event(&mut self, ev: Event) {
        self.clear_spinner();
        match ev {
            Event::StepStarted {
                step_key,
                step_name,
                phase,
                ..
            } => self.step_started(step_key, step_name, phase),
            Event::StepCompleted {
                step_key,
                status,
                error,
                duration_ms,
                ..
            } => self.step_completed(step_key, status, error, duration_ms),
            Event::StepWaiting {
                step_key,
                kind,
                title,
                signal_name,
                deadline,
                ..
            } => {
                self.running.remove(&step_key);
                let what =
                    super::wait_text::waiting(kind, title.as_deref(), signal_name.as_deref(), deadline.as_deref());
                println!("  ⏸ {step_key}  {what}");
            }
            // A failed try with another to come is said without -v: the step is not stuck.
            Event::StepProgress {
                step_key,
                output,
                stream,
                ..
            } if stream == "retry" => println!("  ↻ {step_key}  {}", first_line(&output)),
            Event::StepProgress { output, stream, .. } if self.verbose => print_progress(&stream, &output),
            Event::RunLog { level, message, .. } => {
                for line in message.lines() {
                    println!("    [{level}] {line}");
                }
            }
            _ => {}
        }
        let _ = std::io::stdout().flush();
        self.draw_spinner();
    }

    /// A header when the phase changes; the step joins the spinner.
    fn step_started(&mut self, step_key: String, step_name: String, phase: String) {
        if self.phase.as_deref() != Some(phase.as_str()) {
            println!("── {phase} ──");
            self.phase = Some(phase);
        }
        self.running.insert(step_key, (step_name, Instant::now()));
    }

    /// The step's line: its mark, its name (and key, when they differ), how long it took and
    /// the first line of its error.
    fn step_completed(&mut self, step_key: String, status: StepStatus, error: Option<String>, duration_ms: u64) {
        let name = self
            .running
            .remove(&step_key)
            .map(|(n, _)| n)
            .unwrap_or_else(|| step_key.clone());
        let mark = match status {
            StepStatus::Completed => "✓",
            StepStatus::Skipped => "↷",
            _ => "✗",
        };
        let label = if name == step_key {
            name
        } else {
            format!("{name} ({step_key})")
        };
        match error {
            Some(e) => println!(
                "  {mark} {label}  {}  {status}: {}",
                format_ms(duration_ms),
                first_line(&e)
            ),
            None => println!("  {mark} {label}  {}", format_ms(duration_ms)),
        }
    }

    fn draw_spinner(&mut self) {
        if !self.tty || self.running.is_empty() {
            return;
        }
        self.tick = (self.tick + 1) % SPINNER.len();
        let names: Vec<String> = self
            .running
            .values()
            .map(|(n, t)| format!("{n} {}", format_ms(t.elapsed().as_millis() as u64)))
            .collect();
        print!("\r\x1b[2K  {} {}", SPINNER[self.tick], names.join(", "));
        let _ = std::io::stdout().flush();
        self.spinner_shown = true;
    }

    fn clear_spinner(&mut self) {
        if self.spinner_shown {
            print!("\r\x1b[2K");
            self.spinner_shown = false;
        }
    }
}

/// A step's output with `--verbose`: script lines as they are; an agent's events tagged
/// with what they are, one line each.
fn print_progress(stream: &str, output: &str) {
    match stream {
        "stdout" => println!("    │ {output}"),
        "stderr" => println!("    ! {output}"),
        kind => {
            let first: String = output.lines().next().unwrap_or_default().chars().take(300).collect();
            let more = if first.len() < output.len() { " …" } else { "" };
            println!("    · {kind}: {first}{more}");
        }
    }
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or(s)
}

pub fn print_outcome(o: &RunOutcome) {
    match o.status {
        RunStatus::Completed => println!("run {} completed", o.run_id),
        RunStatus::Paused => println!(
            "run {} paused; continue with: workflow-engine resume {}",
            o.run_id, o.run_id
        ),
        RunStatus::Cancelled => println!("run {} cancelled", o.run_id),
        RunStatus::Waiting => println!("run {} waiting", o.run_id),
        _ => println!(
            "run {} failed: {}",
            o.run_id,
            o.error.as_deref().unwrap_or("unknown error")
        ),
    }
}
