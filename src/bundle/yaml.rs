//! YAML read into a tree that remembers where every key and value came from, so that any
//! error found later (after includes, target overrides and interpolation) can name
//! `file:line:column` and the key path.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use serde_saphyr::Spanned;

/// A place in a source file (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loc {
    pub file: Arc<PathBuf>,
    pub line: u64,
    pub column: u64,
}

impl fmt::Display for Loc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

impl Loc {
    /// A place for values that did not come from a file (`--var`, environment, defaults).
    pub fn synthetic(what: &str) -> Loc {
        Loc {
            file: Arc::new(PathBuf::from(what)),
            line: 0,
            column: 0,
        }
    }

    /// The folder relative paths at this place start from: the file's, or the bundle's root
    /// for values from Python code (see [`super::python::is_python_source`]).
    pub fn dir(&self) -> &Path {
        if super::python::is_python_source(&self.file) {
            return Path::new("");
        }
        self.file.parent().unwrap_or(Path::new("."))
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub loc: Loc,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub loc: Loc,
    /// The other places a merged value was also set at (an include, a target override), in
    /// the order the Databricks CLI lists them after `loc`; empty unless merged.
    pub also: Vec<Loc>,
}

impl Node {
    pub fn new(kind: Kind, loc: Loc) -> Node {
        Node {
            kind,
            loc,
            also: Vec::new(),
        }
    }

    /// Every place this value was set at, the effective one first.
    pub fn places(&self) -> impl Iterator<Item = &Loc> {
        std::iter::once(&self.loc).chain(&self.also)
    }

    /// Adds `other`'s places after this value's own.
    pub fn add_places_of(&mut self, other: &Node) {
        self.also.extend(other.places().cloned());
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        match &mut self.kind {
            Kind::Map(entries) => entries
                .iter_mut()
                .find(|(k, _)| k.name == key)
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn key(&self, key: &str) -> Option<&Key> {
        self.entries()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(k, _)| k)
    }

    pub fn entries(&self) -> Option<&[(Key, Node)]> {
        match &self.kind {
            Kind::Map(e) => Some(e),
            _ => None,
        }
    }

    pub fn items(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(s) => Some(s),
            _ => None,
        }
    }

    /// A string, number or boolean as text; None for null, sequences and maps.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.kind {
            Kind::Str(s) => Some(s.clone()),
            Kind::Int(i) => Some(i.to_string()),
            Kind::Float(f) => Some(f.to_string()),
            Kind::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.kind {
            Kind::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.kind, Kind::Null)
    }

    /// Sets `key` (replacing an existing entry in place, else appending).
    pub fn insert(&mut self, key: Key, value: Node) {
        if let Kind::Map(entries) = &mut self.kind {
            match entries.iter_mut().find(|(k, _)| k.name == key.name) {
                Some(slot) => slot.1 = value,
                None => entries.push((key, value)),
            }
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Node> {
        match &mut self.kind {
            Kind::Map(entries) => {
                let i = entries.iter().position(|(k, _)| k.name == key)?;
                Some(entries.remove(i).1)
            }
            _ => None,
        }
    }

    /// What kind of value this is, for messages.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) | Kind::Float(_) => "a number",
            Kind::Str(_) => "a string",
            Kind::Seq(_) => "a sequence",
            Kind::Map(_) => "a map",
        }
    }

    pub fn to_json(&self) -> Value {
        match &self.kind {
            Kind::Null => Value::Null,
            Kind::Bool(b) => Value::Bool(*b),
            Kind::Int(i) => Value::from(*i),
            Kind::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Kind::Str(s) => Value::String(s.clone()),
            Kind::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// A node built from JSON (values that came from `--var` or a lookup), placed at `loc`.
    pub fn from_json(value: &Value, loc: &Loc) -> Node {
        let kind = match value {
            Value::Null => Kind::Null,
            Value::Bool(b) => Kind::Bool(*b),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Kind::Int(i),
                None => Kind::Float(n.as_f64().unwrap_or_default()),
            },
            Value::String(s) => Kind::Str(s.clone()),
            Value::Array(a) => Kind::Seq(a.iter().map(|v| Node::from_json(v, loc)).collect()),
            Value::Object(o) => Kind::Map(
                o.iter()
                    .map(|(k, v)| {
                        let key = Key {
                            name: k.clone(),
                            loc: loc.clone(),
                        };
                        (key, Node::from_json(v, loc))
                    })
                    .collect(),
            ),
        };
        Node::new(kind, loc.clone())
    }
}

/// A YAML syntax error with its place.
#[derive(Debug)]
pub struct SyntaxError {
    pub loc: Loc,
    pub message: String,
}

/// Parses `text` (the contents of `file`) into a located tree. An empty file is an empty map.
pub fn parse(file: &Path, text: &str) -> Result<Node, SyntaxError> {
    parse_with(file, text, serde_saphyr::DuplicateKeyPolicy::Error)
}

/// A bundle file, read as the CLI reads it: a key repeated in one map takes its last value
/// (returned, to be warned about); a repeated merge key `<<` is an error.
pub fn parse_bundle_file(file: &Path, text: &str) -> Result<(Node, Vec<Key>), SyntaxError> {
    if let Some((line, column)) = repeated_merge_key(text) {
        return Err(SyntaxError {
            loc: Loc {
                file: Arc::new(file.to_path_buf()),
                line,
                column,
            },
            message: "duplicate YAML merge key ('<<') is not allowed; to merge multiple maps, use a sequence: '<<: [*anchor1, *anchor2]'".into(),
        });
    }
    let mut node = parse_with(file, text, serde_saphyr::DuplicateKeyPolicy::PassThrough)?;
    let mut repeated = Vec::new();
    last_wins(&mut node, &mut repeated);
    Ok((node, repeated))
}

/// Keeps the last value of each key repeated in a map (in the first one's place) and
/// collects the repeated keys.
fn last_wins(node: &mut Node, repeated: &mut Vec<Key>) {
    match &mut node.kind {
        Kind::Map(entries) => {
            let mut kept: Vec<(Key, Node)> = Vec::with_capacity(entries.len());
            for (k, mut v) in std::mem::take(entries) {
                last_wins(&mut v, repeated);
                match kept.iter_mut().find(|(seen, _)| seen.name == k.name) {
                    Some(slot) => {
                        repeated.push(k);
                        slot.1 = v;
                    }
                    None => kept.push((k, v)),
                }
            }
            *entries = kept;
        }
        Kind::Seq(items) => items.iter_mut().for_each(|i| last_wins(i, repeated)),
        _ => {}
    }
}

/// The line and column of a `<<` key given a second time in one block map: YAML allows one,
/// and the CLI refuses the second rather than merge or drop either (flow maps and block
/// scalars are not looked into).
fn repeated_merge_key(text: &str) -> Option<(u64, u64)> {
    // Columns of `<<` keys seen in the maps still open.
    let mut open: Vec<usize> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let trimmed = raw.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut column = raw.len() - trimmed.len();
        let mut body = trimmed;
        // `- key:` opens a map at the column after the dash.
        while let Some(rest) = body.strip_prefix("- ") {
            let inner = rest.trim_start();
            column += body.len() - inner.len();
            body = inner;
            open.retain(|c| *c < column);
        }
        open.retain(|c| *c <= column);
        if body.starts_with("<<:") || body.starts_with("<< :") {
            if open.contains(&column) {
                return Some((i as u64 + 1, column as u64 + 1));
            }
            open.push(column);
        }
    }
    None
}

fn parse_with(
    file: &Path,
    text: &str,
    duplicates: serde_saphyr::DuplicateKeyPolicy,
) -> Result<Node, SyntaxError> {
    let file = Arc::new(file.to_path_buf());
    let start = Loc {
        file: file.clone(),
        line: 1,
        column: 1,
    };
    if text.trim().is_empty() {
        return Ok(Node::new(Kind::Map(Vec::new()), start));
    }
    // YAML 1.2 booleans only, as the CLI's yaml.v3: `yes`, `no`, `on`, `off`, `y`, `n` are
    // strings (`country: no`, `schedule: on`).
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.duplicate_keys = duplicates;
    let raw: Spanned<RawNode> =
        serde_saphyr::from_str_with_options(text, options).map_err(|e| {
            let (line, column) = e
                .location()
                .map_or((1, 1), |l| (l.line().max(1), l.column().max(1)));
            SyntaxError {
                loc: Loc {
                    file: file.clone(),
                    line,
                    column,
                },
                message: plain_budget(clean_message(&e.to_string())),
            }
        })?;
    Ok(raw.into_node(&file))
}

/// The parser's message without its own position prefix and tuning hints (we print the place).
fn clean_message(s: &str) -> String {
    let first = s.lines().next().unwrap_or(s);
    let first = first.strip_prefix("error: ").unwrap_or(first);
    let body = match first.split_once(": ") {
        Some((pos, rest)) if pos.starts_with("line ") => rest,
        _ => first,
    };
    body.split(", set ").next().unwrap_or(body).to_string()
}

/// The parser's limits, which hostile files reach (an alias of aliases, nesting hundreds
/// deep), said in words: `budget breached: Nodes { nodes: 250001 }` names no cause.
fn plain_budget(message: String) -> String {
    let Some(breach) = message.strip_prefix("budget breached: ") else {
        return message;
    };
    let variant = breach.split([' ', '{']).next().unwrap_or_default();
    let why = match variant {
        "Nodes" => {
            "holds more than 250,000 values, counting each use of an alias (aliases of aliases multiply)"
        }
        "Depth" => "nests more than 64 levels deep",
        "Aliases" => "uses aliases (`*name`) more than 50,000 times",
        "Anchors" => "defines more than 50,000 anchors (`&name`)",
        "AliasAnchorRatio" => {
            "uses each anchor far more often than a configuration does (aliases of aliases multiply)"
        }
        "Events" => "is more than a million YAML items long",
        "Documents" => "holds more than 1,024 YAML documents",
        "MergeKeys" => "holds more than 10,000 merge keys (`<<`)",
        "ScalarBytes" | "InputBytes" | "CommentBytes" => "is larger than a bundle file may be",
        _ => return message,
    };
    format!("the file {why}; brickci stops reading it there ({breach})")
}

/// The shape serde-saphyr gives us, before the file name is attached.
enum RawNode {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<RawNode>>),
    Map(Vec<(Spanned<String>, Spanned<RawNode>)>),
}

trait IntoNode {
    fn into_node(self, file: &Arc<PathBuf>) -> Node;
}

fn loc_of(l: &serde_saphyr::Location, file: &Arc<PathBuf>) -> Loc {
    Loc {
        file: file.clone(),
        line: l.line(),
        column: l.column(),
    }
}

impl IntoNode for Spanned<RawNode> {
    fn into_node(self, file: &Arc<PathBuf>) -> Node {
        let loc = loc_of(&self.referenced, file);
        let kind = match self.value {
            RawNode::Null => Kind::Null,
            RawNode::Bool(b) => Kind::Bool(b),
            RawNode::Int(i) => Kind::Int(i),
            RawNode::Float(f) => Kind::Float(f),
            RawNode::Str(s) => Kind::Str(s),
            RawNode::Seq(items) => {
                Kind::Seq(items.into_iter().map(|i| i.into_node(file)).collect())
            }
            RawNode::Map(entries) => Kind::Map(
                entries
                    .into_iter()
                    .map(|(k, v)| {
                        let key = Key {
                            loc: loc_of(&k.referenced, file),
                            name: k.value,
                        };
                        (key, v.into_node(file))
                    })
                    .collect(),
            ),
        };
        Node::new(kind, loc)
    }
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = RawNode;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<RawNode, E> {
        Ok(RawNode::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<RawNode, D::Error> {
        RawNode::deserialize(d)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<RawNode, E> {
        Ok(RawNode::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<RawNode, E> {
        Ok(RawNode::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<RawNode, E> {
        Ok(i64::try_from(v).map_or(RawNode::Float(v as f64), RawNode::Int))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<RawNode, E> {
        Ok(RawNode::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawNode, E> {
        Ok(RawNode::Str(v.to_string()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<RawNode, E> {
        Ok(RawNode::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RawNode, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(RawNode::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawNode, A::Error> {
        let mut entries: Vec<(Spanned<String>, Spanned<RawNode>)> = Vec::new();
        while let Some(key) = map.next_key::<Spanned<String>>()? {
            let value = map.next_value()?;
            entries.push((key, value));
        }
        Ok(RawNode::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_values_carry_their_lines() {
        let text = "bundle:\n  name: demo\nresources:\n  jobs:\n    train:\n      name: \"Train\"\n      tasks: [a, b]\n";
        let n = parse(Path::new("databricks.yml"), text).unwrap();
        let jobs = n.get("resources").unwrap().get("jobs").unwrap();
        let key = jobs.key("train").unwrap();
        assert_eq!((key.loc.line, key.loc.column), (5, 5));
        let name = jobs.get("train").unwrap().get("name").unwrap();
        assert_eq!(name.as_str(), Some("Train"));
        assert_eq!(name.loc.line, 6);
        let tasks = jobs.get("train").unwrap().get("tasks").unwrap();
        assert_eq!(tasks.items().unwrap()[1].as_str(), Some("b"));
        assert_eq!(n.to_json()["bundle"]["name"], "demo");
    }

    #[test]
    fn a_bundle_file_takes_a_repeated_key_last_and_refuses_a_repeated_merge_key() {
        let (n, repeated) = parse_bundle_file(
            Path::new("d.yml"),
            "job:\n  tasks:\n    - task_key: first\n      timeout_seconds: 5\n      task_key: second\n",
        )
        .unwrap();
        let task = &n.get("job").unwrap().get("tasks").unwrap().items().unwrap()[0];
        assert_eq!(task.get("task_key").unwrap().as_str(), Some("second"));
        assert_eq!(task.entries().unwrap().len(), 2);
        assert_eq!(repeated.len(), 1);
        assert_eq!(
            (repeated[0].name.as_str(), repeated[0].loc.line),
            ("task_key", 5)
        );

        let anchors = "defs:\n  a: &a {x: 1}\n  b: &b {y: 2}\nc:\n  - k: v\n    m:\n      <<: *a\n      z: 3\n      <<: *b\n";
        let e = parse_bundle_file(Path::new("d.yml"), anchors).unwrap_err();
        assert_eq!((e.loc.line, e.loc.column), (9, 7));
        assert!(
            e.message.starts_with("duplicate YAML merge key ('<<')"),
            "{}",
            e.message
        );

        let listed =
            "defs:\n  a: &a {x: 1}\n  b: &b {y: 2}\nc:\n  m:\n    <<: [*a, *b]\n  n:\n    <<: *a\n";
        let (n, _) = parse_bundle_file(Path::new("d.yml"), listed).unwrap();
        let m = n.get("c").unwrap().get("m").unwrap().to_json();
        assert_eq!(m, serde_json::json!({"x": 1, "y": 2}));
    }

    #[test]
    fn syntax_errors_and_duplicate_keys_name_the_line() {
        let e = parse(Path::new("x.yml"), "a: 1\nb: [1, 2\nc: 3\n").unwrap_err();
        assert!(e.loc.line >= 2, "{e:?}");
        let e = parse(Path::new("x.yml"), "a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(e.message, "duplicate mapping key: a");
        assert_eq!(e.loc.line, 3);
    }

    #[test]
    fn scalars_keep_their_types() {
        let n = parse(Path::new("x.yml"), "a: 1\nb: true\nc: 1.5\nd: ~\ne: '1'\n").unwrap();
        let j = n.to_json();
        assert_eq!(j["a"], 1);
        assert_eq!(j["b"], true);
        assert_eq!(j["c"], 1.5);
        assert!(j["d"].is_null());
        assert_eq!(j["e"], "1");
    }

    #[test]
    fn only_true_and_false_are_booleans() {
        let n = parse(
            Path::new("x.yml"),
            "a: yes\nb: no\nc: on\nd: off\ne: y\nf: n\ng: True\nh: FALSE\n",
        )
        .unwrap();
        let j = n.to_json();
        for (k, v) in [
            ("a", "yes"),
            ("b", "no"),
            ("c", "on"),
            ("d", "off"),
            ("e", "y"),
            ("f", "n"),
        ] {
            assert_eq!(j[k], v, "{k}");
        }
        assert_eq!(j["g"], true);
        assert_eq!(j["h"], false);
    }

    #[test]
    fn the_parsers_limits_are_said_in_words() {
        let mut bomb = String::from("x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..8 {
            let refs = vec![format!("*a{}", i - 1); 10].join(", ");
            bomb += &format!("x{i}: &a{i} [{refs}]\n");
        }
        let e = parse(Path::new("b.yml"), &bomb).unwrap_err();
        assert!(
            e.message
                .starts_with("the file holds more than 250,000 values"),
            "{}",
            e.message
        );
        // On a stack as big as the main thread's, where brickci parses (a debug build's
        // parser needs more than a test thread's 2 MiB for 64 levels).
        let deep = format!("x: {}1{}\n", "{a: ".repeat(100), "}".repeat(100));
        let e = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || parse(Path::new("d.yml"), &deep).unwrap_err())
            .unwrap()
            .join()
            .unwrap();
        assert!(
            e.message
                .starts_with("the file nests more than 64 levels deep"),
            "{}",
            e.message
        );
    }
}
