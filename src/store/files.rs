//! The spec's per-run folder, `.agent/workflows/executions/{runId}/`.
//!
//! Everything here is derived from the database, which is the truth: files are written
//! atomically (temp file + rename) so a reader never sees half a file, but are not fsynced —
//! after a crash the run's rows say what happened and the next write brings the files back
//! in line.
//!
//! A run's folder is 0700 and its files 0600 (`private`): `args.json` and a step's
//! `input.json` (with its `env`) are for the server's user alone.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use crate::definition::source::SourceFile;

use super::private::{create_private_dir, private_file_options, tighten, write_private, PRIVATE_DIR_MODE};

/// The folder of one run.
#[derive(Debug, Clone)]
pub struct RunFiles {
    pub project: PathBuf,
    pub root: PathBuf,
}

/// Relative location of a project's executions.
pub const EXECUTIONS_DIR: &str = ".agent/workflows/executions";

impl RunFiles {
    pub fn new(project: &Path, run_id: &str) -> RunFiles {
        RunFiles {
            project: project.to_path_buf(),
            root: project.join(EXECUTIONS_DIR).join(run_id),
        }
    }

    /// `logs/{stepId}` relative to the project root, as stored in `log_directory_path`.
    pub fn step_log_dir_rel(&self, step_id: &str) -> String {
        self.project_relative(&self.step_dir(step_id))
    }

    /// Step ids are validated to a safe alphabet before they reach here, so the join stays
    /// inside the run's folder.
    pub fn step_dir(&self, step_id: &str) -> PathBuf {
        self.root.join("logs").join(step_id)
    }

    pub fn write_snapshot(&self, definition: &impl Serialize, args: &Value) -> std::io::Result<()> {
        // The first run files of a project: its run folders go in git's info/exclude.
        super::git_exclude::ensure(&self.project);
        if let Some(executions) = self.root.parent() {
            std::fs::create_dir_all(executions)?;
            // Each run's folder is the top of a hierarchy: ext4 spreads them over the disk.
            crate::sys::fs::mark_top_of_hierarchies(executions);
        }
        create_private_dir(&self.root)?;
        create_dir_all(&self.root.join("checkpoints"))?;
        create_dir_all(&self.root.join("logs"))?;
        write_json(&self.root.join("definition.json"), definition)?;
        write_json(&self.root.join("args.json"), args)
    }

    /// Makes a folder an older version left open to others 0700 (its files are then out
    /// of their reach too).
    pub fn tighten(&self) -> std::io::Result<()> {
        tighten(&self.root, PRIVATE_DIR_MODE)
    }

    /// Writes `input.json`, and creates the step's `events.jsonl` (the spec gives every step
    /// one), empty until the step prints something.
    pub fn write_step_input(&self, step_id: &str, input: &Value) -> std::io::Result<()> {
        let dir = self.step_dir(step_id);
        create_dir_all(&dir)?;
        write_json(&dir.join("input.json"), input)?;
        self.open_events(step_id).map(drop)
    }

    /// Appends one record to the step's `events.jsonl`.
    pub fn append_event(&self, step_id: &str, record: &Value) -> std::io::Result<()> {
        self.append_attempt_event(step_id, 1, record).map(drop)
    }

    /// Appends one record to the `events.jsonl` of try `attempt` (see `attempt_dir`); the
    /// file's size after it.
    pub fn append_attempt_event(&self, step_id: &str, attempt: i64, record: &Value) -> std::io::Result<u64> {
        let mut line = serde_json::to_vec(record).map_err(std::io::Error::other)?;
        line.push(b'\n');
        let mut file = self.open_attempt_events(step_id, attempt)?;
        file.write_all(&line)?;
        Ok(file.metadata()?.len())
    }

    pub fn write_step_output(&self, step_id: &str, output: &Value, summary: &str) -> std::io::Result<()> {
        let dir = self.step_dir(step_id);
        create_dir_all(&dir)?;
        write_json(&dir.join("output.json"), output)?;
        write_atomic(&dir.join("summary.md"), summary.as_bytes())
    }

    /// The folder of try `attempt` of a retried step: the step's own for the first (so
    /// older runs and the log API stay as they were), `logs/{stepId}/attempt-N` after.
    pub fn attempt_dir(&self, step_id: &str, attempt: i64) -> PathBuf {
        match attempt {
            ..=1 => self.step_dir(step_id),
            n => self.step_dir(step_id).join(format!("attempt-{n}")),
        }
    }

    /// `attempt_dir` relative to the project root, as `workflow_step_attempts.log_dir` keeps it.
    pub fn attempt_dir_rel(&self, step_id: &str, attempt: i64) -> String {
        self.project_relative(&self.attempt_dir(step_id, attempt))
    }

    /// Opens `logs/{stepId}/events.jsonl` for appending: a re-run step keeps its earlier
    /// attempts' lines.
    pub fn open_events(&self, step_id: &str) -> std::io::Result<std::fs::File> {
        self.open_attempt_events(step_id, 1)
    }

    /// Opens the `events.jsonl` of try `attempt` for appending (see `attempt_dir`).
    pub fn open_attempt_events(&self, step_id: &str, attempt: i64) -> std::io::Result<std::fs::File> {
        let dir = self.attempt_dir(step_id, attempt);
        create_dir_all(&dir)?;
        private_file_options()
            .create(true)
            .append(true)
            .open(dir.join("events.jsonl"))
    }

    /// Writes `checkpoints/step-{index}.json`, then removes the one it supersedes: each
    /// checkpoint holds every result so far, so only the newest is kept.
    pub fn write_checkpoint(
        &self,
        index: i64,
        checkpoint: &impl Serialize,
        supersedes: Option<i64>,
    ) -> std::io::Result<()> {
        let dir = self.root.join("checkpoints");
        create_dir_all(&dir)?;
        write_json(&dir.join(format!("step-{index}.json")), checkpoint)?;
        match supersedes.filter(|s| *s != index) {
            Some(old) => match std::fs::remove_file(dir.join(format!("step-{old}.json"))) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
                _ => Ok(()),
            },
            None => Ok(()),
        }
    }

    /// Appends a line to the run's own log (`run.log`): the workflow's console output and
    /// the engine's notes.
    pub fn append_run_log(&self, line: &str) -> std::io::Result<()> {
        create_dir_all(&self.root)?;
        let mut f = private_file_options()
            .create(true)
            .append(true)
            .open(self.root.join("run.log"))?;
        f.write_all(line.as_bytes())?;
        f.write_all(b"\n")
    }
}

/// `source/manifest.json`: the TypeScript source a run runs, version 1 the one it started
/// with; a resume with the current code (`--use-current`) records the next version and keeps
/// the previous manifest as `manifest-v{n}.json`. Each version's copies are in `source/v{n}/`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SourceManifest {
    pub version: u32,
    pub files: Vec<SourceEntry>,
}

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SourceEntry {
    #[serde(flatten)]
    pub file: SourceFile,
    /// Where its copy is, relative to the run's folder.
    pub copy: String,
}

/// Source snapshots and copies between runs' folders (reruns).
impl RunFiles {
    /// Records `files` as the run's source, version `version`: each copied into
    /// `source/v{version}/` (under its path in the project, or `_outside/` and its absolute
    /// path), and the manifest; an earlier manifest is kept as `manifest-v{n}.json`.
    pub fn write_source(&self, version: u32, files: &[SourceFile]) -> std::io::Result<()> {
        let dir = self.root.join("source");
        create_dir_all(&dir)?;
        let manifest_path = dir.join("manifest.json");
        if let Some(old) = self.read_source_manifest() {
            std::fs::rename(&manifest_path, dir.join(format!("manifest-v{}.json", old.version)))?;
        }
        let mut entries = Vec::with_capacity(files.len());
        for file in files {
            let rel = match file.path.strip_prefix(&self.project) {
                Ok(inside) => inside.to_path_buf(),
                Err(_) => Path::new("_outside").join(file.path.strip_prefix("/").unwrap_or(&file.path)),
            };
            let copy = Path::new("source").join(format!("v{version}")).join(rel);
            let target = self.root.join(&copy);
            if let Some(parent) = target.parent() {
                create_dir_all(parent)?;
            }
            // A file gone since it was loaded is listed without a copy.
            if let Ok(bytes) = std::fs::read(&file.path) {
                write_atomic(&target, &bytes)?;
            }
            entries.push(SourceEntry {
                file: file.clone(),
                copy: copy.to_string_lossy().into_owned(),
            });
        }
        write_json(
            &manifest_path,
            &SourceManifest {
                version,
                files: entries,
            },
        )
    }

    /// The source the run runs (`source/manifest.json`); None for a YAML run, or a run
    /// recorded before sources were kept.
    pub fn read_source_manifest(&self) -> Option<SourceManifest> {
        let bytes = std::fs::read(self.root.join("source/manifest.json")).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Copies the folders of `step_ids` (`logs/{stepId}/`, with their results and logs) from
    /// `parent`'s folder into this run's, for the steps a rerun reuses.
    pub fn copy_steps_from(&self, parent: &RunFiles, step_ids: &[String]) -> std::io::Result<()> {
        for id in step_ids {
            let from = parent.step_dir(id);
            if from.is_dir() {
                copy_dir(&from, &self.step_dir(id))?;
            }
        }
        Ok(())
    }

    /// Removes the checkpoints of step `index` and after (`resume --rerun` forgot them).
    pub fn forget_checkpoints_from(&self, index: i64) -> std::io::Result<()> {
        let Ok(entries) = std::fs::read_dir(self.root.join("checkpoints")) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let n = name
                .to_str()
                .and_then(|n| n.strip_prefix("step-")?.strip_suffix(".json")?.parse::<i64>().ok());
            if n.is_some_and(|n| n >= index) {
                std::fs::remove_file(entry.path())?;
            }
        }
        Ok(())
    }
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            write_private(&target, &std::fs::read(entry.path())?)?;
        }
    }
    Ok(())
}

/// The files of a step's folder a reader may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepFile {
    Input,
    Output,
    /// What the step printed (or its agent did) so far, one JSON record a line.
    Events,
    Summary,
}

impl StepFile {
    /// The names the API and the spec give them.
    pub const NAMES: &[&str] = &["input", "output", "events", "summary"];

    pub fn from_name(name: &str) -> Option<StepFile> {
        match name {
            "input" => Some(StepFile::Input),
            "output" => Some(StepFile::Output),
            "events" => Some(StepFile::Events),
            "summary" => Some(StepFile::Summary),
            _ => None,
        }
    }

    fn file_name(self) -> &'static str {
        match self {
            StepFile::Input => "input.json",
            StepFile::Output => "output.json",
            StepFile::Events => "events.jsonl",
            StepFile::Summary => "summary.md",
        }
    }
}

/// Readers: the API and the CLI read a run's folder through these, not by its paths.
impl RunFiles {
    /// The definition as the run started it (`definition.json`), which later edits of the
    /// file do not change; None when it is missing or unreadable.
    pub fn read_definition<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        let bytes = std::fs::read(self.root.join("definition.json")).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// Whether the run's snapshots (`definition.json`, `args.json`) are both written.
    pub fn has_snapshot(&self) -> bool {
        self.root.join("definition.json").is_file() && self.root.join("args.json").is_file()
    }

    /// One of a step's files; None when the step has not written it (yet).
    pub async fn read_step_log(&self, step_id: &str, log: StepFile) -> std::io::Result<Option<Vec<u8>>> {
        self.read_attempt_log(step_id, 1, log).await
    }

    /// One of the files of try `attempt` of a step (see `attempt_dir`).
    pub async fn read_attempt_log(
        &self,
        step_id: &str,
        attempt: i64,
        log: StepFile,
    ) -> std::io::Result<Option<Vec<u8>>> {
        match tokio::fs::read(self.attempt_dir(step_id, attempt).join(log.file_name())).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// What a step's `events.jsonl` holds past `offset` bytes; None when the step has no
    /// such file (a quiet step writes none).
    pub fn read_events_from(&self, step_id: &str, offset: u64) -> std::io::Result<Option<Vec<u8>>> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = match std::fs::File::open(self.step_dir(step_id).join(StepFile::Events.file_name())) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        file.seek(SeekFrom::Start(offset))?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        Ok(Some(bytes))
    }

    /// The folder a step's artifacts are uploaded into, `artifacts/{stepId}` (step ids are
    /// kept to a safe alphabet, so it stays inside the run's folder).
    pub fn artifacts_dir(&self, step_id: &str) -> PathBuf {
        self.uploads_dir().join(step_id)
    }

    /// `artifacts/`, where uploads are received before they are placed.
    pub fn uploads_dir(&self) -> PathBuf {
        self.root.join("artifacts")
    }

    /// A path in the project as rows store it: relative to the project's root.
    pub fn project_relative(&self, path: &Path) -> String {
        path.strip_prefix(&self.project)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    /// Opens one of the run's artifacts, `file_path` as its row stores it (relative to the
    /// project, `project_relative`).
    pub async fn open_artifact(&self, file_path: &str) -> std::io::Result<tokio::fs::File> {
        tokio::fs::File::open(self.project.join(file_path)).await
    }
}

fn write_json(path: &Path, value: &impl Serialize) -> std::io::Result<()> {
    let mut text = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    text.push(b'\n');
    write_atomic(path, &text)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    write_private(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Folders inside a run's folder: 0700 like it (the umask permitting; the run's own folder
/// is what keeps others out, and its mode is set explicitly).
fn create_dir_all(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(PRIVATE_DIR_MODE)
        .create(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(dir: &Path) -> Option<libc::c_int> {
        crate::sys::fs::inode_flags(dir)
    }

    /// Where the filesystem takes the flag (ext4 does), the first run's snapshot marks the
    /// executions folder `+T`; elsewhere writing the snapshot still works.
    #[test]
    fn the_executions_folder_is_marked_top_of_hierarchies_where_supported() {
        let project = tempfile::tempdir().unwrap();
        let probe = project.path().join("probe");
        std::fs::create_dir(&probe).unwrap();
        crate::sys::fs::mark_top_of_hierarchies(&probe);
        let supported = flags(&probe).is_some_and(|f| f & 0x0002_0000 != 0);

        let files = RunFiles::new(project.path(), "run1");
        files
            .write_snapshot(&serde_json::json!({ "name": "w" }), &serde_json::json!({}))
            .unwrap();
        assert!(files.root.join("definition.json").is_file());
        assert!(files.root.join("checkpoints").is_dir());
        let executions = project.path().join(EXECUTIONS_DIR);
        if supported {
            assert_ne!(
                flags(&executions).unwrap() & 0x0002_0000,
                0,
                "the executions folder is +T"
            );
        } else {
            eprintln!("this filesystem does not take FS_TOPDIR_FL: nothing to check");
        }
        // A second run leaves the flag (and the first run) as they are.
        RunFiles::new(project.path(), "run2")
            .write_snapshot(&serde_json::json!({ "name": "w" }), &serde_json::json!({}))
            .unwrap();
        assert!(files.root.join("args.json").is_file());
    }
}
