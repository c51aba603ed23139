//! The PostgreSQL the `--pg` scenarios run on: a cluster of the suite's own, made by Debian's
//! `initdb` in the scratch folder, on a free port of 127.0.0.1, with DURABLE settings
//! (`fsync=on`, `full_page_writes=on`, `synchronous_commit` as asked: `on` by default), run
//! as the `postgres` user when the suite runs as root, stopped when dropped. The test
//! cluster (`workflow_engine::testing::pg`) turns fsync off; this one must not, since its
//! figures are compared with DBOS's on the same server.

use std::path::{Path, PathBuf};
use std::process::Command;
use workflow_engine::testing::pg as pg_tools;

use anyhow::{bail, Context, Result};

pub struct Pg {
    dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
    /// `synchronous_commit` the server runs with (`on` or `off`).
    pub synchronous_commit: String,
    pub version: String,
}

impl Pg {
    pub fn start(scratch: &Path, synchronous_commit: &str) -> Result<Pg> {
        let bin = pg_tools::bin_dir()
            .context("no initdb in /usr/lib/postgresql/*/bin: install Debian's postgresql package")?;
        let dir = scratch.join("pg");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        if pg_tools::is_root() {
            let uid = id("-u")?;
            let gid = id("-g")?;
            std::os::unix::fs::chown(&dir, Some(uid), Some(gid))?;
            // The scratch folders above must be traversable by the postgres user.
            let mut p = dir.parent();
            while let Some(d) = p {
                use std::os::unix::fs::PermissionsExt;
                if let Ok(m) = std::fs::metadata(d) {
                    let mode = m.permissions().mode();
                    if mode & 0o001 == 0 {
                        let _ = std::fs::set_permissions(d, std::fs::Permissions::from_mode(mode | 0o011));
                    }
                }
                p = d.parent();
            }
        }
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0")?;
            l.local_addr()?.port()
        };
        let mut pg = Pg {
            dir: dir.clone(),
            bin: bin.clone(),
            port,
            synchronous_commit: synchronous_commit.to_string(),
            version: String::new(),
        };
        let data = dir.join("data");
        run(pg
            .as_owner(&bin.join("initdb"))
            .args(["-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C", "-D"])
            .arg(&data))?;
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=on -c full_page_writes=on \
             -c synchronous_commit={synchronous_commit} -c max_connections=500 -c shared_buffers=256MB{}",
            dir.display(),
            if bin
                .parent()
                .is_some_and(|v| v.join("lib/pg_stat_statements.so").is_file())
            {
                // Where the time goes: every statement's calls and time, per database.
                " -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track_utility=on"
            } else {
                ""
            }
        );
        run(pg
            .as_owner(&bin.join("pg_ctl"))
            .args(["start", "-w", "-t", "60", "-D"])
            .arg(&data)
            .arg("-l")
            .arg(dir.join("log"))
            .args(["-o", &options]))?;
        pg.version = pg.psql("SHOW server_version")?.trim().to_string();
        let fsync = pg.psql("SHOW fsync")?.trim().to_string();
        let sc = pg.psql("SHOW synchronous_commit")?.trim().to_string();
        if fsync != "on" || sc != synchronous_commit {
            bail!("the bench PostgreSQL runs with fsync={fsync}, synchronous_commit={sc}");
        }
        let _ = pg.psql("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        Ok(pg)
    }

    /// Forgets the statement statistics (before the runs a profile is about).
    pub fn reset_statements(&self) {
        let _ = self.psql("SELECT pg_stat_statements_reset()");
    }

    /// The statements run on database `name` since the last reset, most called first:
    /// (calls, total execution ms, the statement's text). Empty without pg_stat_statements.
    pub fn statements(&self, name: &str) -> Vec<(f64, f64, String)> {
        let sql = format!(
            "SELECT s.calls, s.total_exec_time, regexp_replace(s.query, '\\s+', ' ', 'g') \
             FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid \
             WHERE d.datname = '{name}' ORDER BY s.calls DESC, s.total_exec_time DESC"
        );
        let Ok(out) = run(Command::new("psql")
            .args([
                "-X",
                "-q",
                "-t",
                "-A",
                "-F",
                "\x1f",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-p",
            ])
            .arg(self.port.to_string())
            .args(["-d", "postgres", "-c", &sql]))
        else {
            return Vec::new();
        };
        out.lines()
            .filter_map(|l| {
                let mut f = l.split('\x1f');
                Some((f.next()?.parse().ok()?, f.next()?.parse().ok()?, f.next()?.to_string()))
            })
            .collect()
    }

    /// Lines for a figure: per step, each statement's calls and time (those called at least
    /// once per 4 steps), and the total.
    pub fn profile(&self, name: &str, steps: f64) -> Vec<String> {
        let stmts = self.statements(name);
        if stmts.is_empty() {
            return vec!["(no statement statistics: pg_stat_statements is not installed)".into()];
        }
        let calls: f64 = stmts.iter().map(|s| s.0).sum();
        let ms: f64 = stmts.iter().map(|s| s.1).sum();
        let mut lines = vec![format!(
            "PostgreSQL statements per step (pg_stat_statements over {steps} steps): {} statements, {} ms of \
             execution inside the server; the most frequent:",
            crate::stats::num(calls / steps),
            crate::stats::num(ms / steps)
        )];
        for (c, t, q) in stmts.iter().filter(|s| s.0 / steps >= 0.25).take(12) {
            let q: String = q.chars().take(160).collect();
            lines.push(format!(
                "  - {} per step, {} ms each: `{}`",
                crate::stats::num(c / steps),
                crate::stats::num(t / c),
                q.replace('`', "'")
            ));
        }
        lines
    }

    /// A new empty database; its URL.
    pub fn database(&self, name: &str) -> Result<String> {
        self.psql(&format!("DROP DATABASE IF EXISTS {name}"))?;
        self.psql(&format!("CREATE DATABASE {name}"))?;
        Ok(self.url(name))
    }

    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// One statement as the superuser on database `postgres`; its output (unaligned).
    pub fn psql(&self, statement: &str) -> Result<String> {
        run(Command::new("psql")
            .args([
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                "127.0.0.1",
                "-U",
                "postgres",
                "-p",
            ])
            .arg(self.port.to_string())
            .args(["-d", "postgres", "-c", statement]))
    }

    /// What the figures' durability line says.
    pub fn durability(&self) -> String {
        let what = if self.synchronous_commit == "on" {
            "a committed step survives kill -9 and power loss"
        } else {
            "a committed step survives kill -9 of the engine and of PostgreSQL's backends, not power loss (the last ~0.6 s of commits may be lost)"
        };
        format!(
            "PostgreSQL {} on 127.0.0.1 (TCP), fsync=on, full_page_writes=on, synchronous_commit={} ({what})",
            self.version, self.synchronous_commit
        )
    }

    fn as_owner(&self, program: &Path) -> Command {
        if pg_tools::is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c.current_dir(&self.dir);
            c
        } else {
            Command::new(program)
        }
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        let _ = self
            .as_owner(&self.bin.join("pg_ctl"))
            .args(["stop", "-m", "fast", "-D"])
            .arg(self.dir.join("data"))
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The tests' helpers (`workflow_engine::testing::pg`), with anyhow's errors.
fn run(cmd: &mut Command) -> Result<String> {
    pg_tools::run(cmd).map_err(anyhow::Error::msg)
}

fn id(flag: &str) -> Result<u32> {
    Ok(run(Command::new("id").args([flag, "postgres"]))?.trim().parse()?)
}
