//! What a confined process may reach, as (path, rights) rules: the system read-only, a few
//! devices, the project and the step's own temp folder read-write, an agent's session folders.

use std::path::{Path, PathBuf};

use super::landlock::{ALL, READ};

/// One tree (or file) and what a confined process may do beneath it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Rule {
    pub path: PathBuf,
    pub access: u64,
}

impl Rule {
    pub fn read(path: impl Into<PathBuf>) -> Rule {
        Rule {
            path: path.into(),
            access: READ,
        }
    }

    pub fn write(path: impl Into<PathBuf>) -> Rule {
        Rule {
            path: path.into(),
            access: ALL,
        }
    }
}

/// Programs, libraries, configuration and the kernel's views; `/tmp`, `/var`, `/home` and
/// `/root` are not among them.
const SYSTEM_READ: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt", "/nix", "/snap", "/proc", "/sys",
    "/run",
];
/// Devices a shell or a CLI opens for writing; not `/dev` as a whole, which holds the disks.
const DEVICES: &[&str] = &[
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
    "/dev/pts",
    "/dev/shm",
];

/// The system read-only, the directories of `PATH` (tools installed under a home, such as
/// `~/.cargo/bin`), and the devices.
pub fn system() -> Vec<Rule> {
    let mut rules: Vec<Rule> = SYSTEM_READ.iter().map(|p| Rule::read(*p)).collect();
    if let Some(path) = std::env::var_os("PATH") {
        rules.extend(std::env::split_paths(&path).filter(|p| p.is_absolute()).map(Rule::read));
    }
    rules.extend(DEVICES.iter().map(|p| Rule::write(*p)));
    // git stops with "unknown error occurred while reading the configuration files" when a
    // config file exists that it may not read; the workspace is git.
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        rules.extend([".gitconfig", ".config/git"].map(|f| Rule::read(home.join(f))));
    }
    rules
}

/// Where the agent CLIs keep their logins, sessions and caches (agent-clis.md), and the
/// program's own folder; not the whole home, which holds the default data directory.
pub fn agent(program: &Path) -> Vec<Rule> {
    let mut rules = Vec::new();
    if let Some(home) = std::env::var_os("HOME").map(PathBuf::from) {
        prepare_agent_home(&home, program);
        for dir in [
            ".claude",
            ".claude.json",
            ".codex",
            ".gemini",
            ".npm",
            ".cache",
            ".config",
            ".local/state",
            ".local/share/claude",
        ] {
            rules.push(Rule::write(home.join(dir)));
        }
        rules.push(Rule::read(home.join(".local/bin")));
    }
    for var in ["CLAUDE_CONFIG_DIR", "CODEX_HOME", "GEMINI_CLI_HOME"] {
        if let Some(dir) = std::env::var_os(var).filter(|d| !d.is_empty()) {
            rules.push(Rule::write(dir));
        }
    }
    // `claude` found on PATH is often a link into a package (node_modules/...): its files.
    if let Some(dir) = which(program)
        .and_then(|p| p.canonicalize().ok())
        .and_then(|p| p.parent().map(Path::to_path_buf))
    {
        rules.push(Rule::read(dir));
    }
    rules
}

/// Creates the folders (and Claude's `~/.claude.json`) the agent CLI would create on its first
/// run: a Landlock rule can only name what exists, so a CLI confined on a fresh home could not
/// make its own folder. The CLI's own folder by its name; the shared ones always.
fn prepare_agent_home(home: &Path, program: &Path) {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    let name = program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let own: &[&str] = match () {
        _ if name.contains("claude") => &[".claude", ".local/share/claude"],
        _ if name.contains("codex") => &[".codex"],
        _ if name.contains("gemini") => &[".gemini"],
        _ => &[],
    };
    for dir in own.iter().chain(&[".npm", ".cache", ".config", ".local/state"]) {
        let _ = std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(home.join(dir));
    }
    if name.contains("claude") {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(home.join(".claude.json"));
        if let Ok(mut f) = file {
            let _ = std::io::Write::write_all(&mut f, b"{}\n");
        }
    }
}

/// The workflow's modules: the project, the file's folder and every `node_modules` above it
/// (the loader looks there), with the folders its packages link to (npm link, workspaces),
/// read-only.
pub fn worker(project: &Path, file: &Path) -> Vec<Rule> {
    let mut rules = vec![Rule::read(project)];
    if let Some(dir) = file.parent() {
        rules.push(Rule::read(dir));
        for modules in dir.ancestors().map(|a| a.join("node_modules")).filter(|d| d.is_dir()) {
            rules.extend(linked_packages(&modules).into_iter().map(Rule::read));
            rules.push(Rule::read(modules));
        }
    }
    rules
}

/// Where the symlinked packages of a `node_modules` folder (`pkg` and `@scope/pkg`) lead.
fn linked_packages(modules: &Path) -> Vec<PathBuf> {
    let entries = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default()
    };
    let mut linked = Vec::new();
    for entry in entries(modules) {
        let scoped = entry.file_name().is_some_and(|n| n.to_string_lossy().starts_with('@'));
        let packages = if scoped { entries(&entry) } else { vec![entry] };
        for package in packages.into_iter().filter(|p| p.is_symlink()) {
            linked.extend(package.canonicalize().ok());
        }
    }
    linked
}

/// A program as the shell would find it.
fn which(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 {
        return Some(program.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Whether `inner` lies in `tree` (both as the kernel resolves them); a path that does not
/// exist contains nothing.
pub fn contains(tree: &Path, inner: &Path) -> bool {
    inner.canonicalize().is_ok_and(|i| contains_real(tree, &i))
}

/// `contains` for an `inner` already resolved (`Path::canonicalize`).
pub fn contains_real(tree: &Path, inner: &Path) -> bool {
    tree.canonicalize().is_ok_and(|t| inner.starts_with(t))
}
