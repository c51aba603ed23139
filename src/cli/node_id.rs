//! A `serve` node's stable id: `--node-id NAME`, else the one generated at its first start
//! and kept in `<data-dir>/node-id`. A restarted node is then the same node: its
//! `engine_nodes` row is reused, and the runs its previous process drove are taken back at
//! once (`Runner::recover`). One process at a time may use a node id.

use std::path::Path;

/// The file in the data directory that keeps a generated node id.
pub const NODE_ID_FILE: &str = "node-id";

/// Whether `id` may name a node: 1 to 100 of `A-Z a-z 0-9 . _ -`.
pub fn check(id: &str) -> Result<(), String> {
    if id.is_empty() || id.len() > 100 {
        return Err("a node id is 1 to 100 characters".into());
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(format!(
            "a node id has only letters, digits, '.', '_' and '-' (not {c:?})"
        ));
    }
    Ok(())
}

/// The node id `serve` runs under: `given`, else the data directory's (made at first).
pub fn resolve(given: Option<&str>, data_dir: &Path) -> Result<String, String> {
    if let Some(id) = given {
        check(id).map_err(|e| format!("--node-id: {e}"))?;
        return Ok(id.to_string());
    }
    let file = data_dir.join(NODE_ID_FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) => {
            let id = text.trim();
            check(id).map_err(|e| format!("{}: {e}", file.display()))?;
            return Ok(id.to_string());
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(format!("cannot read {}: {e}", file.display())),
    }
    let id = generated();
    std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    std::fs::write(&file, format!("{id}\n")).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    Ok(id)
}

/// `<hostname>-<8 hex digits>`, the hostname reduced to the characters a node id allows.
fn generated() -> String {
    let host: String = crate::engine::hostname()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .take(80)
        .collect();
    let suffix = &crate::store::new_id()[24..];
    if host.is_empty() {
        format!("node-{suffix}")
    } else {
        format!("{host}-{suffix}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_id_is_kept_and_a_given_one_is_checked() {
        let dir = tempfile::tempdir().unwrap();
        let first = resolve(None, dir.path()).unwrap();
        check(&first).unwrap();
        assert_eq!(resolve(None, dir.path()).unwrap(), first);
        assert_eq!(resolve(Some("gpu-1"), dir.path()).unwrap(), "gpu-1");
        assert!(resolve(Some("a/b"), dir.path()).unwrap_err().contains("--node-id"));
        assert!(resolve(Some(""), dir.path()).is_err());
        std::fs::write(dir.path().join(NODE_ID_FILE), "bad id\n").unwrap();
        assert!(resolve(None, dir.path()).unwrap_err().contains("node-id"));
    }
}
