//! A PostgreSQL cluster of the tests' own: with `WORKFLOW_ENGINE_TEST_PG=1` every test that
//! opens a store gets a fresh database on it (`fresh_database_url`), so one suite runs on
//! both backends. The cluster is made by Debian's `initdb` in a temporary folder, listens on
//! a free port of 127.0.0.1 only, runs as the `postgres` user when the tests run as root
//! (`initdb` refuses root), and is stopped when the test process exits.
//!
//! It trades durability for speed (`fsync=off`): these databases live as long as the tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// Whether the suite runs on PostgreSQL.
pub fn enabled() -> bool {
    std::env::var_os("WORKFLOW_ENGINE_TEST_PG").is_some_and(|v| !v.is_empty() && v != "0")
}

pub struct Cluster {
    pub dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static NEXT: AtomicU32 = AtomicU32::new(0);

/// The cluster, started on first use.
pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| {
        let cluster = Cluster::start().unwrap_or_else(|e| panic!("cannot start the tests' PostgreSQL: {e}"));
        // SAFETY: registering a plain function to run at exit.
        unsafe { libc::atexit(stop_at_exit) };
        cluster
    })
}

/// A new, empty database on the cluster (the store migrates it when it opens it).
pub fn fresh_database_url() -> String {
    let c = cluster();
    let name = format!("t{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
    c.psql(&format!("CREATE DATABASE {name}"))
        .unwrap_or_else(|e| panic!("cannot create database {name}: {e}"));
    c.url(&name)
}

extern "C" fn stop_at_exit() {
    if let Some(c) = CLUSTER.get() {
        let _ = c
            .as_owner(&c.bin.join("pg_ctl"))
            .args(["stop", "-m", "immediate", "-D"])
            .arg(c.dir.join("data"))
            .output();
        let _ = std::fs::remove_dir_all(&c.dir);
    }
}

impl Cluster {
    fn start() -> Result<Cluster, String> {
        let bin = bin_dir().ok_or("no initdb: install Debian's postgresql package")?;
        let dir = std::env::temp_dir().join(format!("we-test-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let port = free_port()?;
        let mut cluster = Cluster { dir, port, bin };
        if is_root() {
            let (uid, gid) = postgres_user()?;
            std::os::unix::fs::chown(&cluster.dir, Some(uid), Some(gid)).map_err(|e| e.to_string())?;
        }
        let data = cluster.dir.join("data");
        run(cluster
            .as_owner(&cluster.bin.join("initdb"))
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "-D",
            ])
            .arg(&data))?;
        let options = format!(
            "-p {port} -c listen_addresses=127.0.0.1 -k {} -c fsync=off -c synchronous_commit=off \
             -c full_page_writes=off -c max_connections=1000 -c shared_buffers=128MB",
            cluster.dir.display()
        );
        run(cluster
            .as_owner(&cluster.bin.join("pg_ctl"))
            .args(["start", "-w", "-t", "60", "-D"])
            .arg(&data)
            .arg("-l")
            .arg(cluster.dir.join("log"))
            .args(["-o", &options]))?;
        cluster.port = port;
        Ok(cluster)
    }

    /// The URL of database `name`.
    pub fn url(&self, name: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{name}", self.port)
    }

    /// Runs one statement as the superuser, on database `postgres`.
    pub fn psql(&self, statement: &str) -> Result<String, String> {
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

    /// `program` run as the cluster's owner: `postgres` when we are root.
    fn as_owner(&self, program: &Path) -> Command {
        if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c.current_dir(&self.dir);
            c
        } else {
            Command::new(program)
        }
    }
}

/// Runs `cmd`; its stdout, or what it printed when it failed.
pub fn run(cmd: &mut Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Whether this process runs as root (then the cluster runs as `postgres`).
pub fn is_root() -> bool {
    // SAFETY: geteuid cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn postgres_user() -> Result<(u32, u32), String> {
    let id = |flag: &str| -> Result<u32, String> {
        run(Command::new("id").args([flag, "postgres"]))?
            .trim()
            .parse()
            .map_err(|e| format!("id {flag} postgres: {e}"))
    };
    Ok((id("-u")?, id("-g")?))
}

/// Debian's server programs: `/usr/lib/postgresql/<version>/bin`, the newest.
pub fn bin_dir() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|b| b.join("initdb").is_file() && b.join("pg_ctl").is_file())
        .collect();
    versions.sort_by_key(|b| {
        b.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    versions.pop()
}

pub fn free_port() -> Result<u16, String> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(l.local_addr().map_err(|e| e.to_string())?.port())
}
