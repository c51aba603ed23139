//! Names people read on the board and in the terminal (workflows, phases, steps, runs,
//! projects) may not hold characters that are invisible or change how the text around them
//! is shown: a right-to-left override can make `txt.exe` read as `exe.txt`, and a
//! zero-width character makes two names that look the same differ. Such names are refused,
//! not cleaned, so what is stored is what was written.

/// Whether `name` may name a secret (`{{ secrets.NAME }}`, `workflow-engine secret set NAME`):
/// letters, digits and `_`, not starting with a digit, at most 128 bytes, so that it is also a
/// valid environment variable name for the steps that receive it.
pub fn is_secret_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic());
    first_ok && name.len() <= 128 && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// What is wrong with `name` as a secret's name (it failed `is_secret_name`).
pub fn secret_name_error(name: &str) -> String {
    format!("invalid secret name '{name}': use letters, digits and _, not starting with a digit (at most 128)")
}

/// `field: ...` when `value` holds a control, bidirectional-formatting or invisible character.
pub fn check_name(field: &str, value: &str) -> Result<(), String> {
    match name_problem(value) {
        None => Ok(()),
        Some(problem) => Err(format!("{field}: {problem}")),
    }
}

/// What is wrong with `value` as a name, if anything: `contains U+202E (...) at character 8; ...`.
pub fn name_problem(value: &str) -> Option<String> {
    let (at, c, what) = value
        .chars()
        .enumerate()
        .find_map(|(i, c)| invisible(c).map(|what| (i, c, what)))?;
    Some(format!(
        "contains U+{:04X} ({what}) at character {}; names may not hold control, \
         bidirectional-formatting or invisible characters",
        u32::from(c),
        at + 1
    ))
}

/// What kind of unwanted character `c` is, if it is one. Zero-width joiners (U+200C,
/// U+200D) stay allowed: scripts such as Persian and emoji sequences need them.
fn invisible(c: char) -> Option<&'static str> {
    Some(match c {
        '\u{0}'..='\u{1F}' | '\u{7F}'..='\u{9F}' => "a control character",
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => "a bidirectional override or isolate",
        '\u{200E}' | '\u{200F}' | '\u{061C}' => "a bidirectional mark",
        '\u{2028}' | '\u{2029}' => "a line or paragraph separator",
        '\u{200B}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}' => "an invisible character",
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' => "an invisible filler",
        '\u{E0000}'..='\u{E007F}' => "an invisible tag character",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_names_in_any_script_pass() {
        for name in [
            "Deploy to prod",
            "déploiement",
            "نشر",
            "デプロイ",
            "fix 🐛",
            "👩\u{200D}💻 pair",
        ] {
            assert_eq!(check_name("name", name), Ok(()), "{name}");
        }
    }

    #[test]
    fn overrides_marks_and_invisible_characters_are_refused_with_where() {
        let e = check_name("name", "invoice\u{202E}fdp.exe").unwrap_err();
        assert!(
            e.starts_with("name: contains U+202E (a bidirectional override or isolate) at character 8"),
            "{e}"
        );
        for bad in [
            "a\nb",
            "a\tb",
            "\u{200B}x",
            "x\u{2067}",
            "\u{E0041}",
            "\u{3164}",
            "a\u{200F}",
        ] {
            assert!(check_name("name", bad).is_err(), "{bad:?}");
        }
    }
}
