//! YAML text to a small tree that remembers where every node was written.
//!
//! yaml-rust2's event parser is the one that reports positions, so its events are assembled here
//! into `Node`s, with scalars resolved by the YAML 1.2 core schema. Problems that are about YAML
//! rather than workflows (duplicate keys, a second document, alias bombs) are found here too.

use std::collections::HashMap;

use serde_json::{Number, Value};
use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

/// Aliases are copied into the tree, so a few nested ones could otherwise expand exponentially.
const MAX_ALIAS_NODES: usize = 100_000;
/// Lists and mappings inside each other. Everything that walks a tree (building it, turning it
/// into JSON, compiling it as a JSON Schema, dropping it) recurses once per level, so a deeper
/// file could overflow the stack; no workflow needs a fraction of this.
pub(super) const MAX_DEPTH: usize = 64;

/// A position and what is wrong there.
pub(super) type Problem = (Pos, String);

/// The first document's root (`None` for an empty file) and the problems found while building
/// it, or the problem that stopped the parser (a syntax error, nesting past `MAX_DEPTH`).
pub(super) fn parse(source: &str) -> Result<(Option<Node>, Vec<Problem>), Problem> {
    let mut tree = Tree::default();
    // Events are pulled one by one rather than through `Parser::load`, which recurses once
    // per nesting level before any limit could be applied.
    let mut parser = Parser::new_from_str(source);
    loop {
        let (event, mark) = parser.next_token().map_err(|e| {
            let pos = Pos(e.marker().line(), e.marker().col() + 1);
            // The scanner's own limit, on `[[[…` and `{{{…`, which it reads ahead.
            match e.info() {
                "recursion limit exceeded" => (pos, too_deep()),
                info => (pos, format!("YAML syntax error: {info}")),
            }
        })?;
        if event == Event::StreamEnd {
            break;
        }
        tree.on_event(event, mark)?;
    }
    Ok((tree.docs.into_iter().next(), tree.problems))
}

/// Line and column, both 1-based as editors count.
#[derive(Debug, Clone, Copy)]
pub(super) struct Pos(pub(super) usize, pub(super) usize);

#[derive(Debug, Clone)]
pub(super) struct Node {
    pub(super) pos: Pos,
    /// Character offset, to tell which of two markers comes first.
    index: usize,
    pub(super) kind: Kind,
}

#[derive(Debug, Clone)]
pub(super) enum Kind {
    /// The resolved value and the text as written, which keys and environment values use.
    Scalar(Value, String),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

impl Node {
    pub(super) fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Scalar(Value::Null, _))
    }

    pub(super) fn raw(&self) -> Option<&str> {
        match &self.kind {
            Kind::Scalar(_, raw) => Some(raw),
            _ => None,
        }
    }

    /// The string this scalar holds; `key` names the value in the error.
    pub(super) fn string(&self, key: &str) -> Result<String, String> {
        match &self.kind {
            Kind::Scalar(Value::String(s), _) => Ok(s.clone()),
            _ => Err(format!("'{key}' must be a string, found {}", self.describe())),
        }
    }

    /// Like `string`, but numbers and booleans count as written, so `command: true` is `true`.
    pub(super) fn text(&self, key: &str) -> Result<String, String> {
        match &self.kind {
            Kind::Scalar(Value::Number(_) | Value::Bool(_), raw) => Ok(raw.clone()),
            _ => self.string(key),
        }
    }

    pub(super) fn describe(&self) -> String {
        match &self.kind {
            Kind::Seq(items) if items.is_empty() => "an empty list".into(),
            Kind::Seq(_) => "a list".into(),
            Kind::Map(_) => "a mapping".into(),
            Kind::Scalar(Value::Null, _) => "no value".into(),
            Kind::Scalar(Value::String(s), _) => format!("'{s}'"),
            Kind::Scalar(value, _) => format!("{value} (quote it to make it text)"),
        }
    }

    /// The key and value of `key` if this is a mapping that has it (the first, if written twice).
    fn entry(&self, key: &str) -> Option<&(Node, Node)> {
        let Kind::Map(pairs) = &self.kind else {
            return None;
        };
        pairs.iter().find(|(k, _)| k.raw() == Some(key))
    }

    pub(super) fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    pub(super) fn get_key(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(k, _)| k)
    }

    /// Like `get`, but `key:` or `key: ~` count as absent, as suits optional keys.
    pub(super) fn opt(&self, key: &str) -> Option<&Node> {
        self.get(key).filter(|n| !n.is_null())
    }

    pub(super) fn json(&self) -> Value {
        match &self.kind {
            Kind::Scalar(value, _) => value.clone(),
            Kind::Seq(items) => items.iter().map(Node::json).collect(),
            Kind::Map(pairs) => {
                let key = |k: &Node| k.raw().unwrap_or_default().to_string();
                pairs.iter().map(|(k, v)| (key(k), v.json())).collect()
            }
        }
    }
}

/// Builds `Node`s from parser events.
#[derive(Default)]
struct Tree {
    open: Vec<Open>,
    /// Anchored nodes, with their size and depth, which a copy adds to the tree.
    anchors: HashMap<usize, (Node, Shape)>,
    alias_nodes: usize,
    docs: Vec<Node>,
    problems: Vec<Problem>,
}

/// A collection still being read.
struct Open {
    node: Node,
    anchor: usize,
    /// A key still waiting for its value.
    pending: Option<Node>,
    /// The keys read so far with their lines, so a duplicate is found without a scan.
    keys: HashMap<String, usize>,
}

#[derive(Debug, Clone, Copy)]
struct Shape {
    size: usize,
    depth: usize,
}

impl Tree {
    fn on_event(&mut self, event: Event, mark: Marker) -> Result<(), Problem> {
        let pos = Pos(mark.line(), mark.col() + 1);
        let node = |kind| Node {
            pos,
            index: mark.index(),
            kind,
        };
        match event {
            Event::DocumentStart if !self.docs.is_empty() => {
                let message = "a workflow file holds one YAML document".into();
                self.problems.push((pos, message));
            }
            Event::Scalar(raw, style, anchor, tag) => {
                let value = resolve(&raw, style, tag.as_ref()).unwrap_or_else(|message| {
                    self.problems.push((pos, message));
                    Value::Null
                });
                self.finish(node(Kind::Scalar(value, raw)), anchor);
            }
            Event::SequenceStart(anchor, _) => self.open(node(Kind::Seq(vec![])), anchor)?,
            Event::MappingStart(anchor, _) => self.open(node(Kind::Map(vec![])), anchor)?,
            Event::SequenceEnd | Event::MappingEnd => {
                if let Some(open) = self.open.pop() {
                    self.finish(open.node, open.anchor);
                }
            }
            Event::Alias(id) => self.alias(id, pos, node(Kind::Scalar(Value::Null, String::new())))?,
            _ => {}
        }
        Ok(())
    }

    fn open(&mut self, node: Node, anchor: usize) -> Result<(), Problem> {
        if self.open.len() >= MAX_DEPTH {
            return Err((node.pos, too_deep()));
        }
        let keys = HashMap::new();
        self.open.push(Open {
            node,
            anchor,
            pending: None,
            keys,
        });
        Ok(())
    }

    /// A copy of the anchored node, within the budgets; `null` stands in for one past them.
    fn alias(&mut self, id: usize, pos: Pos, null: Node) -> Result<(), Problem> {
        let Some((anchored, shape)) = self.anchors.get(&id) else {
            self.finish(null, 0);
            return Ok(());
        };
        if self.open.len() + shape.depth > MAX_DEPTH {
            return Err((pos, too_deep()));
        }
        self.alias_nodes += shape.size;
        if self.alias_nodes > MAX_ALIAS_NODES {
            let message = format!("aliases expand to more than {MAX_ALIAS_NODES} nodes");
            self.problems.push((pos, message));
            self.finish(null, 0);
            return Ok(());
        }
        let copy = Node {
            pos,
            ..anchored.clone()
        };
        self.finish(copy, 0);
        Ok(())
    }

    fn finish(&mut self, mut node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, (node.clone(), shape(&node)));
        }
        let Some(open) = self.open.last_mut() else {
            return self.docs.push(node);
        };
        match (&mut open.node.kind, open.pending.take()) {
            (Kind::Seq(items), _) => items.push(node),
            (Kind::Map(pairs), Some(key)) => {
                // `key:` with nothing after it is marked on the next line; the key is clearer.
                if node.is_null() && node.raw() == Some("") {
                    node.pos = key.pos;
                }
                pairs.push((key, node));
            }
            (Kind::Map(pairs), None) => {
                match node.raw() {
                    None => {
                        let message = "mapping keys must be plain names".into();
                        self.problems.push((node.pos, message));
                    }
                    Some(raw) => match open.keys.get(raw) {
                        Some(line) => {
                            let message = format!("duplicate key '{raw}' (first at line {line})");
                            self.problems.push((node.pos, message));
                        }
                        None => {
                            open.keys.insert(raw.to_string(), node.pos.0);
                        }
                    },
                }
                // A block mapping is marked at its first `:`; it starts at its first key.
                if pairs.is_empty() && node.index < open.node.index {
                    (open.node.pos, open.node.index) = (node.pos, node.index);
                }
                open.pending = Some(node);
            }
            (Kind::Scalar(..), _) => {}
        }
    }
}

fn too_deep() -> String {
    format!("lists and mappings are nested more than {MAX_DEPTH} levels deep")
}

/// How many nodes `node` holds and how deep it goes (a scalar is 1 and 0).
fn shape(node: &Node) -> Shape {
    let children: Vec<Shape> = match &node.kind {
        Kind::Scalar(..) => return Shape { size: 1, depth: 0 },
        Kind::Seq(items) => items.iter().map(shape).collect(),
        Kind::Map(pairs) => pairs.iter().flat_map(|(k, v)| [shape(k), shape(v)]).collect(),
    };
    Shape {
        size: 1 + children.iter().map(|c| c.size).sum::<usize>(),
        depth: 1 + children.iter().map(|c| c.depth).max().unwrap_or(0),
    }
}

/// The YAML 1.2 core schema: only plain scalars can be null, booleans or numbers.
fn resolve(raw: &str, style: TScalarStyle, tag: Option<&Tag>) -> Result<Value, String> {
    if style != TScalarStyle::Plain || tag.is_some_and(|t| t.suffix == "str") {
        return Ok(Value::String(raw.into()));
    }
    let digits = raw.strip_prefix(['-', '+']).unwrap_or(raw);
    let float = || raw.parse().ok().and_then(Number::from_f64).map(Value::Number);
    let int = || {
        raw.parse::<i64>()
            .map(Value::from)
            .or_else(|_| raw.parse::<u64>().map(Value::from))
    };
    // from_str_radix takes a sign, which YAML does not allow after 0x/0o.
    let radix = |digits: &str, radix| match digits.starts_with(['-', '+']) {
        false => i64::from_str_radix(digits, radix).ok().map(Value::from),
        true => None,
    };
    let number = if let Some(hex) = raw.strip_prefix("0x") {
        radix(hex, 16)
    } else if let Some(octal) = raw.strip_prefix("0o") {
        radix(octal, 8)
    } else if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        int().ok().or_else(float)
    } else if digits.bytes().all(|b| b.is_ascii_digit() || b".eE+-".contains(&b)) {
        // Rust's float syntax is wider than YAML's (it takes "inf"), hence the character check.
        float()
    } else {
        None
    };
    Ok(match raw {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ if [".inf", ".Inf", ".INF", ".nan", ".NaN", ".NAN"].contains(&digits) => {
            return Err(format!("'{raw}' is not a finite number, which JSON cannot hold"));
        }
        _ => number.unwrap_or_else(|| Value::String(raw.into())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root(source: &str) -> Node {
        let (root, problems) = parse(source).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        root.unwrap()
    }

    fn problems(source: &str) -> Vec<(usize, usize, String)> {
        let (_, problems) = parse(source).unwrap();
        problems.into_iter().map(|(Pos(l, c), m)| (l, c, m)).collect()
    }

    fn at(node: &Node) -> (usize, usize) {
        (node.pos.0, node.pos.1)
    }

    #[test]
    fn positions_are_one_based_and_point_at_the_text() {
        let doc = root("a: 1\nb:\n  - x\n  - 'y'\nc: |\n  text\nd:\ne: {f: g}\n");
        assert_eq!(at(&doc), (1, 1));
        assert_eq!(at(doc.get("a").unwrap()), (1, 4));
        assert_eq!(at(doc.get_key("b").unwrap()), (2, 1));
        let Kind::Seq(items) = &doc.get("b").unwrap().kind else {
            panic!()
        };
        assert_eq!((at(&items[0]), at(&items[1])), ((3, 5), (4, 5)));
        assert_eq!(at(doc.get("c").unwrap()), (6, 3));
        // An empty value is reported at its key rather than on the following line.
        assert_eq!(at(doc.get("d").unwrap()), (7, 1));
        assert_eq!(at(doc.get("e").unwrap()), (8, 4));
        assert_eq!(at(doc.get("e").unwrap().get("f").unwrap()), (8, 8));
    }

    #[test]
    fn converts_to_json() {
        let doc = root("a: [1, 2.5, true, ~, x]\n'1': {b: \"q\"}\n");
        let expected = serde_json::json!({"a": [1, 2.5, true, null, "x"], "1": {"b": "q"}});
        assert_eq!(doc.json(), expected);
        assert_eq!(doc.get("a").unwrap().describe(), "a list");
        assert_eq!(
            root("x: 3").get("x").unwrap().describe(),
            "3 (quote it to make it text)"
        );
    }

    #[test]
    fn resolves_scalars_by_the_core_schema() {
        let value = |raw, style| resolve(raw, style, None).unwrap();
        let plain = |raw| value(raw, TScalarStyle::Plain);
        assert_eq!(plain("~"), Value::Null);
        assert_eq!(plain("True"), Value::Bool(true));
        assert_eq!(plain("yes"), Value::from("yes"));
        assert_eq!(plain("-12"), Value::from(-12));
        assert_eq!(plain("0x1F"), Value::from(31));
        assert_eq!(plain("0o17"), Value::from(15));
        assert_eq!(plain("0x-1"), Value::from("0x-1"));
        assert_eq!(plain("1.5e3"), Value::from(1500.0));
        assert_eq!(plain("1.2.3"), Value::from("1.2.3"));
        assert_eq!(plain("inf"), Value::from("inf"));
        assert_eq!(value("true", TScalarStyle::DoubleQuoted), Value::from("true"));
        assert_eq!(value("12", TScalarStyle::SingleQuoted), Value::from("12"));
        let str_tag = Tag {
            handle: "tag:yaml.org,2002:".into(),
            suffix: "str".into(),
        };
        let tagged = resolve("12", TScalarStyle::Plain, Some(&str_tag));
        assert_eq!(tagged, Ok(Value::from("12")));
        let nan = "'.nan' is not a finite number, which JSON cannot hold";
        assert_eq!(problems("a: .nan\n"), [(1, 4, nan.to_string())]);
    }

    #[test]
    fn reports_yaml_level_problems() {
        let dup = "duplicate key 'a' (first at line 1)".to_string();
        assert_eq!(problems("a: 1\nb: 2\na: 3\n"), [(3, 1, dup)]);
        let second = "a workflow file holds one YAML document".to_string();
        assert_eq!(problems("a: 1\n---\nb: 2\n"), [(2, 1, second)]);
        let complex = "mapping keys must be plain names".to_string();
        assert_eq!(problems("? [a]\n: 1\n"), [(1, 3, complex)]);
        let syntax = parse("a: [1\nb: 2\n").unwrap_err();
        assert_eq!((syntax.0 .0, syntax.0 .1), (2, 2));
        assert!(syntax.1.starts_with("YAML syntax error: "), "{}", syntax.1);
        assert!(parse("").unwrap().0.is_none());
    }

    #[test]
    fn expands_aliases_within_a_budget() {
        let doc = root("base: &b {x: 1}\ncopy: *b\n");
        assert_eq!(doc.get("copy").unwrap().json(), serde_json::json!({"x": 1}));
        assert_eq!(at(doc.get("copy").unwrap()), (2, 7));
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (name, prev) in ["b", "c", "d", "e", "f"].into_iter().zip(["a", "b", "c", "d", "e"]) {
            let refs = vec![format!("*{prev}"); 10].join(", ");
            bomb += &format!("{name}: &{name} [{refs}]\n");
        }
        let found = problems(&bomb);
        assert!(found
            .iter()
            .any(|(_, _, m)| m.contains("aliases expand to more than 100000")));
    }
}
