//! Confinement of the processes that run workflow code (script steps, `ctx.exec`, agent
//! CLIs, the JS worker) with Landlock: they may read the system, read and write their
//! project and a private temp folder (agents also their CLI's session folders), and nothing
//! else — not the data directory with its database and token secret, not other projects.
//!
//! Set once at start (`init`); each spawn asks for a ruleset (`ruleset`) built in the engine,
//! and the child only applies it (`landlock::restrict_self`).

mod landlock;
mod paths;
mod system;
mod tmp;
mod worker;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

pub use landlock::{restrict_self, Ruleset};
pub use paths::Rule;
pub use tmp::{StepTmp, STEP_TMP_PREFIX};
pub use worker::{for_worker, WorkerConfinement};

/// How hard the engine insists on confinement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    /// Refuse to run steps where confinement is not possible.
    Required,
    /// Confine where the kernel can; warn once and run unconfined where it cannot.
    #[default]
    BestEffort,
    /// Never confine (steps can reach everything the server's user can).
    Off,
}

pub struct Settings {
    pub mode: Mode,
    pub data_dir: PathBuf,
    /// More trees steps may read (`--confine-read`).
    pub read: Vec<PathBuf>,
    /// More trees steps may read and write (`--confine-write`).
    pub write: Vec<PathBuf>,
}

struct State {
    settings: Settings,
    /// The kernel's Landlock ABI, 0 when steps are not confined.
    abi: u32,
    /// The system's rules, found at the first spawn (`system`).
    system: OnceLock<system::SystemRules>,
    /// The data directory resolved, once it exists.
    data_dir_real: OnceLock<PathBuf>,
}

static STATE: OnceLock<State> = OnceLock::new();

#[derive(Debug, thiserror::Error)]
pub enum ConfineError {
    #[error(
        "confinement is required (--confinement required) but this kernel has no Landlock \
         (Linux 5.13 or later, with landlock in the boot's lsm= list)"
    )]
    Unsupported,
    #[error(
        "the data directory {} lies inside {}, which steps may reach: move the data directory \
         (--data-dir) out of it, or a step could read the database and the token secret",
        data_dir.display(), tree.display()
    )]
    DataDirReachable { data_dir: PathBuf, tree: PathBuf },
    #[error("cannot confine the step: {0}")]
    Ruleset(std::io::Error),
}

/// What a mode means on a kernel of Landlock `abi`: whether steps are confined, and the
/// warning to give once at start if they are not.
pub fn decide(mode: Mode, abi: u32) -> Result<(bool, Option<&'static str>), ConfineError> {
    match (mode, abi) {
        (Mode::Off, _) => Ok((
            false,
            Some("confinement is off: steps can read and write everything the server's user can, the data directory included"),
        )),
        (Mode::Required, 0) => Err(ConfineError::Unsupported),
        (Mode::BestEffort, 0) => Ok((
            false,
            Some("this kernel has no Landlock: steps run unconfined and can read the data directory (see README, Confinement)"),
        )),
        _ => Ok((true, None)),
    }
}

/// Sets the process-wide settings; the warning (if any) is for the start of `run`/`serve`.
pub fn init(settings: Settings) -> Result<Option<&'static str>, ConfineError> {
    let (confined, warning) = decide(settings.mode, landlock::abi())?;
    let abi = if confined { landlock::abi() } else { 0 };
    let _ = STATE.set(State {
        settings,
        abi,
        system: OnceLock::new(),
        data_dir_real: OnceLock::new(),
    });
    Ok(warning)
}

/// Which kind of process a ruleset is for.
pub enum Kind<'a> {
    Script,
    /// An agent CLI, started as this program.
    Agent(&'a Path),
}

/// What a step in a run's git worktree may reach of its repository, as the engine found it
/// when it made the worktree (never read from the worktree's `.git` file at spawn time, which
/// a step could rewrite): the checkout it was made from (read), and of the repository's git
/// folder the objects, refs and reflogs (its commits and branches) and the worktree's own
/// admin folder (its HEAD and index); not the folder's `config`, `hooks` or `info`.
#[derive(Debug, Clone, PartialEq)]
pub struct GitAccess {
    pub checkout: PathBuf,
    /// The repository's git folder (`git rev-parse --git-common-dir` of the checkout).
    pub common: PathBuf,
    /// The worktree's admin folder, `<common>/worktrees/<name>`.
    pub admin: PathBuf,
}

impl GitAccess {
    fn rules(&self) -> Vec<Rule> {
        let mut rules = vec![Rule::read(&self.checkout), Rule::read(&self.common)];
        for sub in ["objects", "refs", "logs"] {
            let dir = self.common.join(sub);
            if dir.is_dir() {
                rules.push(Rule::write(dir));
            }
        }
        if self.admin.starts_with(self.common.join("worktrees")) && self.admin.is_dir() {
            rules.push(Rule::write(&self.admin));
        }
        rules
    }
}

/// The ruleset a step's process applies before it execs; `None` when steps are not confined
/// (off, no Landlock, or a best-effort failure already warned about). `git`: a run's
/// worktree, whose commits go to its repository.
pub fn ruleset(
    kind: Kind,
    project: &Path,
    tmp: &Path,
    git: Option<&GitAccess>,
) -> Result<Option<Ruleset>, ConfineError> {
    let Some(state) = STATE.get().filter(|s| s.abi > 0) else {
        return Ok(None);
    };
    let mut own = vec![Rule::write(project), Rule::write(tmp)];
    if let Some(git) = git {
        own.extend(git.rules());
    }
    if let Kind::Agent(program) = kind {
        own.extend(paths::agent(program));
    }
    state.build(own)
}

/// Makes `cmd` apply `ruleset` between fork and exec, and gives it `tmp` as `TMPDIR` unless
/// the step's `env` names one.
pub fn confine_command(
    cmd: &mut tokio::process::Command,
    ruleset: Option<&Ruleset>,
    tmp: &Path,
    env: &std::collections::BTreeMap<String, String>,
) {
    if !env.contains_key("TMPDIR") {
        cmd.env("TMPDIR", tmp);
    }
    let Some(fd) = ruleset.map(Ruleset::fd) else { return };
    // SAFETY: only system calls run in the forked child; the ruleset outlives the spawn.
    unsafe {
        cmd.pre_exec(move || match restrict_self(fd) {
            0 => Ok(()),
            _ => Err(std::io::Error::last_os_error()),
        });
    }
}

impl State {
    fn build(&self, own: Vec<Rule>) -> Result<Option<Ruleset>, ConfineError> {
        let data_dir = &self.settings.data_dir;
        let real = system::resolved(&self.data_dir_real, data_dir);
        let left_out = |path: &Path| warn_once(path, "left out of what steps may read: it holds the data directory");
        // Found once the data directory exists; until then (it always does by a step's
        // spawn) at each spawn, as nothing can be left out for it.
        let fresh;
        let system = match real {
            Some(d) => self.system.get_or_init(|| system::SystemRules::find(Some(d), left_out)),
            None => {
                fresh = system::SystemRules::find(None, left_out);
                &fresh
            }
        };
        let extra = self.settings.read.iter().map(Rule::read);
        let mut rules = Vec::new();
        for rule in own
            .into_iter()
            .chain(extra)
            .chain(self.settings.write.iter().map(Rule::write))
        {
            if real.is_some_and(|d| paths::contains_real(&rule.path, d)) {
                let e = ConfineError::DataDirReachable {
                    data_dir: data_dir.clone(),
                    tree: rule.path.clone(),
                };
                self.refuse_or_warn(e, &rule.path)?;
            }
            rules.push(rule);
        }
        match apply_rules(self.abi, Some(system), &rules) {
            Ok(set) => Ok(Some(set)),
            Err(e) => self
                .refuse_or_warn(ConfineError::Ruleset(e), Path::new(""))
                .map(|()| None),
        }
    }

    fn refuse_or_warn(&self, e: ConfineError, key: &Path) -> Result<(), ConfineError> {
        if self.settings.mode == Mode::Required {
            return Err(e);
        }
        warn_once(key, &e.to_string());
        Ok(())
    }
}

/// A ruleset of `system`'s rules (a step's) and `rules`.
fn apply_rules(abi: u32, system: Option<&system::SystemRules>, rules: &[Rule]) -> std::io::Result<Ruleset> {
    let mut set = Ruleset::new(abi)?;
    if let Some(system) = system {
        system.add_to(&mut set)?;
    }
    for rule in rules {
        set.allow(&rule.path, rule.access)?;
    }
    Ok(set)
}

/// Each problem is logged once per path, not once per step.
fn warn_once(key: &Path, message: &str) {
    static SEEN: Mutex<Option<HashSet<(PathBuf, String)>>> = Mutex::new(None);
    let mut seen = SEEN.lock().unwrap_or_else(|e| e.into_inner());
    if seen
        .get_or_insert_default()
        .insert((key.to_path_buf(), message.to_string()))
    {
        tracing::warn!("confinement: {}{message}", prefix(key));
    }
}

fn prefix(key: &Path) -> String {
    if key.as_os_str().is_empty() {
        String::new()
    } else {
        format!("{}: ", key.display())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kernel_without_landlock_is_refused_when_required_and_warned_about_otherwise() {
        assert!(matches!(decide(Mode::Required, 0), Err(ConfineError::Unsupported)));
        let (confined, warning) = decide(Mode::BestEffort, 0).unwrap();
        assert!(!confined && warning.unwrap().contains("no Landlock"));
        assert!(matches!(decide(Mode::BestEffort, 7), Ok((true, None))));
        assert!(matches!(decide(Mode::Required, 1), Ok((true, None))));
        let (confined, warning) = decide(Mode::Off, 7).unwrap();
        assert!(!confined && warning.unwrap().contains("off"));
    }

    #[test]
    fn containment_is_judged_on_resolved_paths() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("project/.data");
        std::fs::create_dir_all(&data).unwrap();
        std::os::unix::fs::symlink(dir.path().join("project"), dir.path().join("link")).unwrap();
        assert!(paths::contains(&dir.path().join("link"), &data));
        assert!(!paths::contains(&data.join("missing"), &data));
        std::fs::create_dir_all(dir.path().join("project/src")).unwrap();
        assert!(!paths::contains(&dir.path().join("project/src"), &data));
    }
}
