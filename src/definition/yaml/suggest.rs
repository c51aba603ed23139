//! "Did you mean …?" for unknown keys: the key a typo was meant to be (by edit distance,
//! ignoring case, `-` and `_`), or what a key from GitHub Actions or GitLab CI is called here.
//! People write these files from habit, so `run:` should lead to `command:` at once.

/// Keys other CI systems use, with the key that does the same here.
const ALIASES: &[(&str, &str)] = &[
    ("run", "command"),
    ("script", "command"),
    ("cmd", "command"),
    ("working-directory", "cwd"),
    ("timeout-minutes", "timeout"),
    ("jobs", "steps"),
    ("stages", "phases"),
    ("stage", "phase"),
    ("inputs", "argsSchema"),
    ("args", "argsSchema"),
    ("condition", "if"),
];

/// Keys of other CI systems that have no counterpart, with what to do instead.
const NO_EQUIVALENT: &[(&str, &str)] = &[
    (
        "uses",
        "actions cannot be used here ('uses'): run the tool from a script step's 'command'",
    ),
    (
        "with",
        "there is no 'with': put values in 'command', 'prompt' or 'env', or use {{ args.<name> }}",
    ),
    (
        "needs",
        "there is no 'needs': steps run one after another in the order they are written",
    ),
    (
        "depends_on",
        "there is no 'depends_on': steps run one after another in the order they are written",
    ),
    (
        "on",
        "there is no 'on': a workflow starts when it is run (CLI `run` or the API)",
    ),
    (
        "runs-on",
        "there is no 'runs-on': steps run on the machine of the engine",
    ),
];

/// What to tell someone who wrote `key` where only `allowed` keys are known.
pub(super) fn hint(key: &str, allowed: &[&str]) -> Option<String> {
    if let Some(target) = meant(key, allowed) {
        return Some(format!("did you mean '{target}'?"));
    }
    let note = NO_EQUIVALENT.iter().find(|(k, _)| *k == key);
    note.map(|(_, note)| note.to_string())
}

/// The allowed key `key` was probably meant to be, if one is close enough.
pub(super) fn meant<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    if let Some((_, target)) = ALIASES.iter().find(|(k, _)| *k == key) {
        return allowed.iter().copied().find(|a| a == target);
    }
    let folded = fold(key);
    let limit = (folded.chars().count() / 3).max(1);
    allowed
        .iter()
        .map(|a| (distance(&folded, &fold(a)), *a))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, a)| a)
}

/// Lower case without `-` and `_`, so `max_turns` and `Max-Turns` both match `maxTurns`.
fn fold(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '-' | '_'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Edits from `a` to `b`, by characters: insertions, deletions, substitutions and swaps of
/// two neighbours (`modle` is one edit from `model`), each text changed at most once.
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitute = d[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = substitute.min(d[i - 1][j] + 1).min(d[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const STEP: &[&str] = &["id", "phase", "type", "command", "cwd", "prompt", "maxTurns", "timeout"];

    #[test]
    fn finds_typos_and_other_spellings() {
        assert_eq!(meant("comand", STEP), Some("command"));
        assert_eq!(meant("promt", STEP), Some("prompt"));
        assert_eq!(meant("max_turns", STEP), Some("maxTurns"));
        assert_eq!(meant("Phase", STEP), Some("phase"));
        assert_eq!(meant("tpye", STEP), Some("type"));
        assert_eq!(meant("timeout-minutes", STEP), Some("timeout"));
        assert_eq!(meant("run", STEP), Some("command"));
        assert_eq!(meant("working-directory", STEP), Some("cwd"));
    }

    #[test]
    fn suggests_nothing_far_off_or_not_allowed_here() {
        assert_eq!(meant("banana", STEP), None);
        assert_eq!(meant("x", &["id"]), None);
        // `jobs` means `steps`, which is not a key of a step.
        assert_eq!(meant("jobs", STEP), None);
        assert_eq!(
            hint("jobs", &["name", "steps"]).as_deref(),
            Some("did you mean 'steps'?")
        );
    }

    #[test]
    fn explains_keys_without_a_counterpart() {
        let needs = hint("needs", STEP).unwrap();
        assert!(needs.contains("in the order they are written"), "{needs}");
        assert!(hint("uses", STEP).unwrap().contains("'command'"));
        assert_eq!(hint("zzzzzzzz", STEP), None);
    }

    #[test]
    fn distance_counts_edits() {
        assert_eq!(distance("kitten", "sitting"), 3);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("same", "same"), 0);
        assert_eq!(distance("modle", "model"), 1);
    }
}
