//! Where a problem inside a value is in the file: a placeholder in a `command`, a word of an
//! `if:` condition. The value's node knows where it starts; when the file holds the value's
//! text as it is (a plain scalar, a quoted one without escapes, the lines of a `|` block),
//! the problem's offset in the text becomes its line and column. Otherwise (escapes, folded
//! text) the node's own position is the best there is.

use super::tree::Pos;

/// The file's text and where its lines start, found once.
#[derive(Default)]
pub(super) struct Source {
    text: String,
    line_starts: Vec<usize>,
}

impl Source {
    pub(super) fn new(text: &str) -> Self {
        let starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1));
        Source {
            text: text.to_string(),
            line_starts: starts.collect(),
        }
    }

    /// Line `n` (1-based) without its end.
    fn line(&self, n: usize) -> Option<&str> {
        let start = *self.line_starts.get(n.checked_sub(1)?)?;
        let end = self.line_starts.get(n).map_or(self.text.len(), |e| e - 1);
        Some(self.text[start..end].trim_end_matches('\r'))
    }

    /// The position of byte `at` of `value`, the text of the scalar that starts at `pos`.
    pub(super) fn locate(&self, pos: Pos, value: &str, at: usize) -> Pos {
        let at = at.min(value.len());
        let before = &value[..at];
        let k = before.matches('\n').count();
        let column_in_line = before.rsplit('\n').next().unwrap_or("").chars().count();
        let Some(value_line) = value.split('\n').nth(k) else {
            return pos;
        };
        let Some(source_line) = self.line(pos.0 + k) else {
            return pos;
        };
        // A value's first line starts at the node, after its quote if it has one; the lines
        // of a block scalar are indented as its first.
        let written: String = source_line.chars().skip(pos.1 - 1).collect();
        let quote = match written.chars().next() {
            Some(q @ ('\'' | '"')) if k == 0 && !written.starts_with(value_line) => {
                written[1..].starts_with(value_line).then_some(q)
            }
            _ => None,
        };
        if quote.is_none() && !written.starts_with(value_line) {
            return pos;
        }
        Pos(pos.0 + k, pos.1 + usize::from(quote.is_some()) + column_in_line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(source: &str, pos: (usize, usize), value: &str, needle: &str) -> (usize, usize) {
        let s = Source::new(source);
        let p = s.locate(Pos(pos.0, pos.1), value, value.find(needle).unwrap());
        (p.0, p.1)
    }

    #[test]
    fn plain_quoted_and_block_values_are_placed_exactly() {
        let src = "a:\n  command: echo {{ x }}\n";
        assert_eq!(at(src, (2, 12), "echo {{ x }}", "{{"), (2, 17));
        let src = "  command: \"echo {{ x }}\"\n";
        assert_eq!(at(src, (1, 12), "echo {{ x }}", "{{"), (1, 18));
        let src = "  command: |\n    one\n    two {{ x }}\n";
        assert_eq!(at(src, (2, 5), "one\ntwo {{ x }}\n", "{{"), (3, 9));
    }

    #[test]
    fn text_the_file_does_not_hold_as_is_stays_at_the_node() {
        let src = "  command: \"echo \\\"a\\\" {{ x }}\"\n";
        assert_eq!(at(src, (1, 12), "echo \"a\" {{ x }}", "{{"), (1, 12));
        let src = "  command: >\n    one\n    two {{ x }}\n";
        assert_eq!(at(src, (2, 5), "one two {{ x }}\n", "{{"), (2, 5));
    }
}
