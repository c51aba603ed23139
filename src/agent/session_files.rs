//! Where each CLI keeps its own transcript of a session (agent-clis.md §1.4, §2.4, §3.4).

use std::path::{Path, PathBuf};

/// `<root>/projects/<cwd with every non-alphanumeric as '-'>/<id>.jsonl`; a long cwd gets a
/// hash suffix we cannot reproduce, so any project folder holding `<id>.jsonl` will do.
pub fn claude(root: &Path, session_id: &str, cwd: &Path) -> Option<PathBuf> {
    let projects = root.join("projects");
    let file = format!("{session_id}.jsonl");
    let direct = claude_in_cwd(root, session_id, cwd);
    if direct.is_file() {
        return Some(direct);
    }
    std::fs::read_dir(&projects)
        .ok()?
        .flatten()
        .map(|e| e.path().join(&file))
        .find(|p| p.is_file())
}

/// Where claude keeps `session_id` when it runs in `cwd`: the only folder its `--resume`
/// looks in (claude 2.1.197 answers "No conversation found" for a session of another cwd).
pub fn claude_in_cwd(root: &Path, session_id: &str, cwd: &Path) -> PathBuf {
    let cwd = std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    let sanitized: String = cwd
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    root.join("projects")
        .join(sanitized)
        .join(format!("{session_id}.jsonl"))
}

/// `<root>/sessions/YYYY/MM/DD/rollout-<time>-<id>.jsonl`, newest day first.
pub fn codex(root: &Path, session_id: &str) -> Option<PathBuf> {
    let suffix = format!("-{session_id}.jsonl");
    let mut days = Vec::new();
    for year in sorted_dirs(&root.join("sessions")) {
        for month in sorted_dirs(&year) {
            days.extend(sorted_dirs(&month));
        }
    }
    days.iter().rev().find_map(|day| {
        std::fs::read_dir(day).ok()?.flatten().map(|e| e.path()).find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("rollout-") && n.ends_with(&suffix))
        })
    })
}

/// `<root>/tmp/<project>/chats/session-<time>-<id[..8]>.jsonl` (`.json` before 0.39), whose
/// first record names the full session id.
pub fn gemini(root: &Path, session_id: &str) -> Option<PathBuf> {
    let short: String = session_id.chars().take(8).collect();
    for project in sorted_dirs(&root.join("tmp")) {
        let Ok(entries) = std::fs::read_dir(project.join("chats")) else {
            continue;
        };
        for path in entries.flatten().map(|e| e.path()) {
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let named = name.starts_with("session-")
                && (name.ends_with(&format!("-{short}.jsonl")) || name.ends_with(&format!("-{short}.json")));
            if named && names_session(&path, session_id) {
                return Some(path);
            }
        }
    }
    None
}

/// Whether the file's opening mentions the full id (8 characters can collide).
fn names_session(path: &Path, session_id: &str) -> bool {
    use std::io::Read;
    let mut head = vec![0; 4096];
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let n = f.read(&mut head).unwrap_or(0);
    String::from_utf8_lossy(&head[..n]).contains(session_id)
}

fn sorted_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect())
        .unwrap_or_default();
    dirs.sort();
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_cli_s_layout_is_found() {
        let home = tempfile::tempdir().unwrap();
        let cwd = home.path().join("my_proj");
        std::fs::create_dir_all(&cwd).unwrap();
        let sanitized: String = std::fs::canonicalize(&cwd)
            .unwrap()
            .to_string_lossy()
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let claude_file = home.path().join(".claude/projects").join(sanitized).join("abc.jsonl");
        std::fs::create_dir_all(claude_file.parent().unwrap()).unwrap();
        std::fs::write(&claude_file, "{}\n").unwrap();
        assert_eq!(claude(&home.path().join(".claude"), "abc", &cwd), Some(claude_file));
        assert_eq!(claude(&home.path().join(".claude"), "other", &cwd), None);

        let codex_file = home
            .path()
            .join(".codex/sessions/2026/11/25/rollout-2026-11-25T10-00-00-0199a213-81c0.jsonl");
        std::fs::create_dir_all(codex_file.parent().unwrap()).unwrap();
        std::fs::write(&codex_file, "{}\n").unwrap();
        assert_eq!(codex(&home.path().join(".codex"), "0199a213-81c0"), Some(codex_file));
        assert_eq!(codex(&home.path().join(".codex"), "0199a213"), None);

        let id = "3f9c2a44-8b1e-4b7a-9d0c-2e5f6a7b8c9d";
        let chats = home.path().join(".gemini/tmp/my-proj/chats");
        std::fs::create_dir_all(&chats).unwrap();
        let decoy = chats.join("session-2026-11-25T10-00-3f9c2a44.jsonl");
        std::fs::write(&decoy, "{\"sessionId\":\"3f9c2a44-0000\"}\n").unwrap();
        assert_eq!(
            gemini(&home.path().join(".gemini"), id),
            None,
            "a prefix collision is not it"
        );
        std::fs::write(&decoy, format!("{{\"sessionId\":\"{id}\"}}\n")).unwrap();
        assert_eq!(gemini(&home.path().join(".gemini"), id), Some(decoy));
    }
}
