//! What a suite run produces, and `BENCHMARKS.md` written from it.

use std::fmt::Write as _;

use crate::machine::Machine;
use crate::stats::{num, Samples};

/// A target: the headline figure must stay at most / at least this.
#[derive(Debug, Clone, Copy)]
pub enum Goal {
    AtMost(f64),
    AtLeast(f64),
}

impl Goal {
    fn met(self, v: f64) -> bool {
        match self {
            Goal::AtMost(t) => v <= t,
            Goal::AtLeast(t) => v >= t,
        }
    }

    fn text(self, unit: &str) -> String {
        match self {
            Goal::AtMost(t) => format!("≤ {} {unit}", num(t)),
            Goal::AtLeast(t) => format!("≥ {} {unit}", num(t)),
        }
    }
}

/// One measured figure (a scenario may give several: B4 TS and YAML, B8 idle and per run).
#[derive(Debug, Clone)]
pub struct Figure {
    pub id: String,
    pub scenario: String,
    pub unit: &'static str,
    /// Which statistic `value` is: `median`, `p95`, `p99`.
    pub stat: &'static str,
    pub value: f64,
    pub samples: Samples,
    pub goal: Option<Goal>,
    pub durability: String,
    /// What exactly was timed.
    pub how: String,
    /// Baselines, checks, secondary statistics.
    pub extra: Vec<String>,
}

impl Figure {
    /// A figure whose headline is the median of `samples`.
    pub fn median(id: &str, scenario: &str, unit: &'static str, samples: Samples, goal: Option<Goal>) -> Figure {
        Figure {
            id: id.into(),
            scenario: scenario.into(),
            unit,
            stat: "median",
            value: samples.median(),
            samples,
            goal,
            durability: String::new(),
            how: String::new(),
            extra: Vec::new(),
        }
    }

    pub fn verdict(&self) -> &'static str {
        match self.goal {
            Some(g) if g.met(self.value) => "pass",
            Some(_) => "**MISS**",
            None => "info",
        }
    }

    /// How far from the target: "2.4x the target" for a miss.
    fn miss_factor(&self) -> String {
        match self.goal {
            Some(Goal::AtMost(t)) if self.value > t => format!(" ({}x the target)", num(self.value / t)),
            Some(Goal::AtLeast(t)) if self.value < t => format!(" ({}% of the target)", num(100.0 * self.value / t)),
            _ => String::new(),
        }
    }
}

/// The DBOS side of the side-by-side, as `bench/dbos/bench_dbos.py` reported it.
#[derive(Debug, Clone)]
pub enum Peer {
    Ran {
        default: serde_json::Value,
        wal: Option<serde_json::Value>,
    },
    /// On the suite's PostgreSQL (`--pg`), with its statements per step.
    Pg {
        result: serde_json::Value,
        profile: Vec<String>,
    },
    Unavailable(String),
}

#[derive(Default)]
pub struct Report {
    pub figures: Vec<Figure>,
    pub peer: Option<Peer>,
    /// Scenarios that could not be measured, with why.
    pub errors: Vec<(String, String)>,
    /// The durability of every figure (SQLite's, or the suite's PostgreSQL's).
    pub durability: String,
}

pub const DURABILITY_OURS: &str = "SQLite WAL, synchronous=NORMAL (a committed step survives kill -9, not power loss)";

impl Report {
    pub fn figure(&self, id: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.id == id)
    }

    /// The summary table's rows.
    pub fn summary_rows(&self, w: &mut String) {
        let _ = writeln!(w, "| id | scenario | target | result | spread | verdict |");
        let _ = writeln!(w, "|---|---|---|---|---|---|");
        for f in &self.figures {
            let median = if f.stat == "median" {
                String::new()
            } else {
                format!(" (median {})", num(f.samples.median()))
            };
            let _ = writeln!(
                w,
                "| {} | {} | {} | **{} {}** {}{median} | {} | {}{} |",
                f.id,
                f.scenario,
                f.goal.map(|g| g.text(f.unit)).unwrap_or_else(|| "—".into()),
                num(f.value),
                f.unit,
                f.stat,
                f.samples.spread(f.unit),
                f.verdict(),
                f.miss_factor()
            );
        }
        for (id, e) in &self.errors {
            let _ = writeln!(w, "| {id} | not measured: {} | | | | **ERROR** |", e.replace('\n', " "));
        }
        let _ = writeln!(w);
    }

    /// Each figure's details; `command` is how to measure one scenario alone.
    pub fn details(&self, w: &mut String, command: impl Fn(&str) -> String) {
        for f in &self.figures {
            let _ = writeln!(w, "### {} — {}\n", f.id, f.scenario);
            let _ = writeln!(
                w,
                "- result: **{} {}** ({}), {}; target {}: {}",
                num(f.value),
                f.unit,
                f.stat,
                f.samples.spread(f.unit),
                f.goal.map(|g| g.text(f.unit)).unwrap_or_else(|| "none".into()),
                f.verdict()
            );
            let _ = writeln!(w, "- measured: {}", f.how);
            let _ = writeln!(w, "- durability: {}", f.durability);
            let _ = writeln!(w, "- command: `{}`", command(scenario_of(&f.id)));
            for e in &f.extra {
                if let Some(sub) = e.strip_prefix("  ") {
                    let _ = writeln!(w, "  {sub}");
                } else {
                    let _ = writeln!(w, "- {e}");
                }
            }
            let _ = writeln!(w, "- samples ({}): {}\n", f.unit, f.samples.list(12));
        }
    }

    pub fn markdown(&self, machine: &Machine, command: &str) -> String {
        let mut out = String::new();
        let w = &mut out;
        let _ = writeln!(w, "# Benchmarks\n");
        let _ = writeln!(
            w,
            "Generated by `{command}` on {}; do not edit by hand (rerun the command). Each scenario \
             below gives the command that measures it alone.\n",
            machine.date
        );
        let _ = writeln!(w, "## Machine\n");
        let _ = writeln!(w, "{}", machine.markdown());
        let _ = writeln!(
            w,
            "Medians of repeated runs on one machine. On a shared machine, figures move between suite runs \
             (by up to 2x for B1–B3 and B5 here) with the load and the filesystem's state, recorded beside \
             each scenario; compare runs with that in mind.\n"
        );
        let _ = writeln!(w, "## Summary\n");
        self.summary_rows(w);
        let _ = writeln!(w, "Durability of every figure of ours: {DURABILITY_OURS}.\n");
        if let Some(peer) = &self.peer {
            self.side_by_side(w, peer);
        }
        let _ = writeln!(w, "## Details\n");
        self.details(w, |id| format!("bench/run.sh --only {id}"));
        out
    }

    fn side_by_side(&self, w: &mut String, peer: &Peer) {
        let _ = writeln!(w, "## Side by side: DBOS Transact for Python\n");
        let (default, wal) = match peer {
            Peer::Unavailable(why) => {
                let _ = writeln!(w, "Not measured in this run: {why}\n");
                return;
            }
            Peer::Ran { default, wal } => (default, wal),
            Peer::Pg { .. } => return,
        };
        let _ = writeln!(
            w,
            "The same workflow on DBOS {} (Python {}, SQLite {}): one `@DBOS.workflow()` calling 40 \
             `@DBOS.step()`s, timed from call to return after a warm-up run, in the same suite run as \
             ours (`bench/dbos/bench_dbos.py`). A ratio above 1 means we are faster.\n",
            default["dbos_version"].as_str().unwrap_or("?"),
            default["python"].as_str().unwrap_or("?"),
            default["sqlite"].as_str().unwrap_or("?"),
        );
        let _ = writeln!(w, "Durability of each column:\n");
        let _ = writeln!(w, "- ours: {DURABILITY_OURS}.");
        let _ = writeln!(w, "- DBOS default: {}.", pragmas_text(default));
        if let Some(wal) = wal {
            let _ = writeln!(
                w,
                "- DBOS WAL/NORMAL: {}, set by the benchmark on DBOS's own engine settings \
                 (`system_database_engine`), to compare like with like.",
                pragmas_text(wal)
            );
        }
        let _ = writeln!(w);
        let mut head = "| per step (median) | ours | DBOS default | ratio |".to_string();
        let mut rule = "|---|---|---|---|".to_string();
        if wal.is_some() {
            head.push_str(" DBOS WAL/NORMAL | ratio |");
            rule.push_str("---|---|");
        }
        let _ = writeln!(w, "{head}\n{rule}");
        let rows = [
            (
                "B1: function step returning a small object",
                "B1",
                "b1_ms_per_step_median",
            ),
            ("B2: `true` step, as measured", "B2 raw", "b2_raw_ms_per_step_median"),
            (
                "B2: `true` step minus a bare spawn of `true` (each in its own process)",
                "B2",
                "b2_net_ms_per_step_median",
            ),
        ];
        for (label, id, key) in rows {
            let Some(ours) = self.figure(id).map(|f| f.value) else {
                continue;
            };
            let mut line = format!("| {label} | {} ms |", num(ours));
            for peer in std::iter::once(default).chain(wal.as_ref()) {
                let theirs = peer[key].as_f64().unwrap_or(f64::NAN);
                let _ = write!(line, " {} ms | {}x |", num(theirs), num(theirs / ours));
            }
            let _ = writeln!(w, "{line}");
        }
        let ratio = |id: &str, peer: &serde_json::Value, key: &str| {
            let ours = self.figure(id).map(|f| f.value)?;
            Some(peer[key].as_f64()? / ours)
        };
        let mut stand = Vec::new();
        for (id, key, what) in [
            ("B1", "b1_ms_per_step_median", "function steps"),
            ("B2", "b2_net_ms_per_step_median", "`true` steps net of the spawn"),
        ] {
            if let Some(d) = ratio(id, default, key) {
                let mut line = format!("{what}: {}x DBOS's default", num(d));
                if let Some(r) = wal.as_ref().and_then(|wal| ratio(id, wal, key)) {
                    line.push_str(&format!(", {}x DBOS on the same SQLite settings as ours", num(r)));
                }
                stand.push(line);
            }
        }
        if !stand.is_empty() {
            let _ = writeln!(
                w,
                "\nWhere we stand: {}. The targets (B1 ≤ 0.5 ms, B2 ≤ 1 ms) mean about 5x DBOS's default; \
                 a ratio below 1 means DBOS is faster. DBOS's default store pays an fsync per commit that \
                 ours does not, so the WAL/NORMAL column is the like-for-like one.",
                stand.join("; ")
            );
        }
        let bare = default["bare_true_ms_median"].as_f64().unwrap_or(f64::NAN);
        let _ = writeln!(
            w,
            "\nDBOS's bare spawn of `true` (Python `subprocess.run`) took {} ms here; its database \
             held {} step outputs at the end (a check that the steps were recorded).\n",
            num(bare),
            default["steps_recorded"]
        );
    }
}

fn pragmas_text(v: &serde_json::Value) -> String {
    let p = &v["pragmas"];
    let sync = match p["synchronous"].as_i64() {
        Some(0) => "OFF".to_string(),
        Some(1) => "NORMAL".to_string(),
        Some(2) => "FULL (an fsync per commit: a committed step survives power loss)".to_string(),
        Some(3) => "EXTRA".to_string(),
        _ => format!("{}", p["synchronous"]),
    };
    format!(
        "SQLite journal_mode={}, synchronous={} (read from DBOS's own connection)",
        p["journal_mode"].as_str().unwrap_or("?"),
        sync
    )
}

/// `B4 TS` → `B4`: the `--only` name of the scenario a figure belongs to.
pub fn scenario_of(id: &str) -> &str {
    id.split(' ').next().unwrap_or(id)
}
