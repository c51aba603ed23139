//! The machine a suite ran on, and a few of its raw costs (fsync, process spawn) for context.

use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use crate::stats::{num, Samples};

pub struct Machine {
    pub date: String,
    cpus: usize,
    cpu_model: String,
    ram: String,
    kernel: String,
    os: String,
    rustc: String,
    commit: String,
    load: String,
    fsync_ms: f64,
    create_us: f64,
    filesystem: String,
}

impl Machine {
    /// Reads the machine's description; `scratch` is where the scenarios' data lives (its
    /// fsync cost is measured there).
    pub fn probe(scratch: &Path) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split(':').nth(1))
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let ram = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
            .unwrap_or_else(|| "unknown".into());
        let os = std::fs::read_to_string("/etc/os-release")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|s| s.trim_matches('"').to_string())
            .unwrap_or_else(|| "unknown".into());
        // The suite's own output does not count as a change to what was measured.
        let dirty = !output(
            "git",
            &[
                "status",
                "--porcelain",
                "--untracked-files=no",
                "--",
                ".",
                ":!BENCHMARKS.md",
            ],
        )
        .is_empty();
        let commit = format!(
            "{}{}",
            output("git", &["rev-parse", "--short=12", "HEAD"]),
            if dirty { " (with uncommitted changes)" } else { "" }
        );
        Machine {
            date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
            cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
            cpu_model,
            ram,
            kernel: read_trim("/proc/sys/kernel/osrelease"),
            os,
            rustc: output("rustc", &["--version"]),
            commit,
            load: read_trim("/proc/loadavg"),
            fsync_ms: fsync_cost(scratch),
            create_us: create_cost(scratch),
            filesystem: filesystem(scratch),
        }
    }

    pub fn markdown(&self) -> String {
        let note = if self.filesystem == "ext4 without a journal" {
            "\nOn ext4 without a journal, the kernel skips every free inode deleted less than a minute ago (six \
             while its inode-table block is not yet written back) when it picks one for a new file, looking \
             each up in the buffer cache, so creating files is slower for minutes after many were deleted (an \
             earlier suite run, a test suite, a build). The engine creates 5–6 files or directories per step: \
             B1 and B2 give the file-creation time measured next to their runs.\n"
        } else {
            ""
        };
        let table = format!(
            "| | |\n|---|---|\n\
             | CPUs (nproc) | {} × {} |\n| RAM | {} |\n| OS, kernel | {}, Linux {} |\n| rustc | {} |\n\
             | commit | {} |\n| load average at start | {} |\n\
             | scratch filesystem | {}; a 4 KiB write + fdatasync takes {} ms, creating a small file \
             (write a temporary, rename it) {} µs (medians) |\n",
            self.cpus,
            self.cpu_model,
            self.ram,
            self.os,
            self.kernel,
            self.rustc,
            self.commit,
            self.load,
            self.filesystem,
            num(self.fsync_ms),
            num(self.create_us),
        );
        format!("{table}{note}")
    }
}

fn read_trim(path: &str) -> String {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

fn output(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// The scratch directory's filesystem type; for ext4, whether it has a journal (without one,
/// every new inode is checked against recently deleted ones, which makes file creation slow
/// while many files were deleted in the last 30 s).
fn filesystem(dir: &Path) -> String {
    let d = dir.to_string_lossy();
    let last = |s: String| s.lines().last().unwrap_or("?").trim().to_string();
    let kind = last(output("df", &["--output=fstype", &d]));
    if kind != "ext4" {
        return kind;
    }
    let dev = last(output("df", &["--output=source", &d]));
    let name = dev.rsplit('/').next().unwrap_or_default().to_string();
    match std::fs::read_to_string(format!("/sys/fs/ext4/{name}/journal_task")) {
        Ok(t) if t.trim() == "<none>" => "ext4 without a journal".into(),
        Ok(_) => "ext4 with a journal".into(),
        Err(_) => kind,
    }
}

/// Median time to create a small file the way the engine writes its files (a temporary
/// written, then renamed into place), in µs.
pub fn create_cost(dir: &Path) -> f64 {
    let d = dir.join("create-probe");
    if std::fs::create_dir_all(&d).is_err() {
        return f64::NAN;
    }
    let _guard = RemoveOnDrop(d.clone());
    let mut s = Samples::default();
    for i in 0..200 {
        let t = Instant::now();
        let tmp = d.join(format!("f{i}.tmp"));
        if std::fs::write(&tmp, b"{}\n")
            .and_then(|_| std::fs::rename(&tmp, d.join(format!("f{i}.json"))))
            .is_err()
        {
            return f64::NAN;
        }
        s.push(t.elapsed().as_secs_f64() * 1e6);
    }
    s.median()
}

struct RemoveOnDrop(std::path::PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Median time of a 4 KiB write followed by fdatasync: what one durable commit costs here.
fn fsync_cost(dir: &Path) -> f64 {
    let path = dir.join("fsync-probe");
    let Ok(mut f) = std::fs::File::create(&path) else {
        return f64::NAN;
    };
    let block = [7u8; 4096];
    let mut s = Samples::default();
    for _ in 0..50 {
        let t = Instant::now();
        if f.write_all(&block).and_then(|_| f.sync_data()).is_err() {
            return f64::NAN;
        }
        s.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let _ = std::fs::remove_file(&path);
    s.median()
}
