//! `${...}` references. A string that is exactly one reference takes the referenced value
//! (keeping its type); otherwise references are spliced in as text. References are resolved
//! lazily against the whole tree, so a value may refer to another that refers to a third;
//! a loop is an error. `${resources.<kind>.<key>.id}` is known only once that object exists,
//! so it stays in place for the deploy to fill in.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::error::Diagnostics;
use super::yaml::{Kind, Loc, Node};

pub struct Resolver<'a> {
    tree: &'a Node,
    memo: HashMap<String, Node>,
    stack: Vec<String>,
    /// Leave every `${resources.*}` reference as written (the CLI's `validate` view).
    keep_resources: bool,
    /// What the values handed out so far weigh (see [`weight`]), against [`BUDGET`].
    spent: usize,
    /// How deep `resolve` is: values within values, and references followed.
    depth: usize,
    too_deep: bool,
    /// What was reported, as `place key message`: a value reached twice (by a reference,
    /// and where it is written) is checked twice, and reported once.
    reported: HashSet<String>,
    pub diags: Diagnostics,
}

/// How deep values may nest, counting every reference followed: a chain of a few thousand
/// variables each naming the next would otherwise overflow the stack. The CLI resolves
/// references in a bounded number of rounds, far fewer levels than this.
const MAX_DEPTH: usize = 256;

/// How much text (and structure) all references of a bundle may expand to. A few values
/// that each repeat the one before twice grow exponentially (`a: ${var.b}${var.b}`,
/// `b: ${var.c}${var.c}`, ...); real bundles expand to kilobytes.
const BUDGET: usize = 64 << 20;

/// The `${...}` references in `s`, as (byte range, inner text). Only text the CLI takes for
/// a reference counts (libs/dyn/dynvar/ref.go: dot-separated names that start with a letter,
/// hold letters, digits, `-` and `_` and end with a letter or digit, with `[n]` indexes);
/// anything else (`${}`, `${var.}`, `${a b}`) is plain text.
pub fn references(s: &str) -> Vec<(std::ops::Range<usize>, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = s[from..].find("${").map(|i| from + i) {
        match s[start + 2..].find('}').map(|i| start + 2 + i) {
            Some(end) if is_reference(&s[start + 2..end]) => {
                out.push((start..end + 1, &s[start + 2..end]));
                from = end + 1;
            }
            Some(_) => from = start + 2,
            None => break,
        }
    }
    out
}

/// Whether `r` (the text between `${` and `}`) is a reference by the CLI's grammar.
fn is_reference(r: &str) -> bool {
    let segments: Vec<&str> = r.split('.').collect();
    let count = segments.len();
    segments.iter().enumerate().all(|(i, seg)| {
        let (name, indexes) = seg.find('[').map_or((*seg, ""), |at| seg.split_at(at));
        // The CLI's pattern allows `[n]` after the first name only when it is the last.
        if i == 0 && count > 1 && !indexes.is_empty() {
            return false;
        }
        let mut chars = name.chars();
        let first_ok = chars.next().is_some_and(char::is_alphabetic);
        let body_ok = name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
        let last_ok = name.chars().last().is_some_and(char::is_alphanumeric);
        first_ok && body_ok && last_ok && valid_indexes(indexes)
    })
}

/// `[0][12]`: zero or more bracketed numbers.
fn valid_indexes(mut s: &str) -> bool {
    while !s.is_empty() {
        let Some(rest) = s.strip_prefix('[') else {
            return false;
        };
        let Some(close) = rest.find(']') else {
            return false;
        };
        let digits = &rest[..close];
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return false;
        }
        s = &rest[close + 1..];
    }
    true
}

/// True for `resources.<kind>.<key>.id` references (and other fields the API computes, per
/// kind) filled in at deploy time.
pub fn is_deferred(reference: &str) -> bool {
    let parts: Vec<&str> = reference.split('.').collect();
    parts.len() >= 4
        && parts[0] == "resources"
        && crate::deploy::kinds::is_computed(parts[1], parts[3])
}

/// The first names of the references the CLI resolves; any other (`${HOME}`) is left as text.
const ROOTS: &[&str] = &[
    "bundle",
    "workspace",
    "variables",
    "var",
    "resources",
    "artifacts",
];

/// Settings of the bundle format that may be left unset; a reference to one then resolves
/// to "" as in the CLI (acceptance/bundle/variables/resolve-empty).
const OPTIONAL_SETTINGS: &[&str] = &[
    "bundle.mode",
    "bundle.cluster_id",
    "bundle.compute_id",
    "bundle.uuid",
    "bundle.databricks_cli_version",
    "bundle.git.branch",
    "bundle.git.actual_branch",
    "bundle.git.commit",
    "bundle.git.origin_url",
    "bundle.git.bundle_root_path",
    "workspace.host",
    "workspace.profile",
    "workspace.auth_type",
    "workspace.client_id",
    "workspace.account_id",
    "workspace.azure_client_id",
    "workspace.azure_tenant_id",
    "workspace.azure_environment",
    "workspace.azure_workspace_resource_id",
    "workspace.azure_login_app_id",
    "workspace.google_service_account",
    "workspace.metadata_service_url",
    "workspace.current_user.displayName",
    "workspace.current_user.id",
];

impl<'a> Resolver<'a> {
    pub fn new(tree: &'a Node) -> Resolver<'a> {
        Resolver {
            tree,
            memo: HashMap::new(),
            stack: Vec::new(),
            keep_resources: false,
            spent: 0,
            depth: 0,
            too_deep: false,
            reported: HashSet::new(),
            diags: Diagnostics::default(),
        }
    }

    /// Resolves everything but `${resources.*}` references, which stay as written.
    pub fn keeping_resource_references(mut self) -> Self {
        self.keep_resources = true;
        self
    }

    /// Records an error; a variable's value is named as the variable the user wrote.
    fn report(&mut self, loc: &Loc, path: &str, message: String) {
        if self.first_time(loc, path, &message) {
            self.diags.push(loc, short_path(path), message);
        }
    }

    fn first_time(&mut self, loc: &Loc, path: &str, message: &str) -> bool {
        self.reported
            .insert(format!("{loc} {} {message}", short_path(path)))
    }

    /// A copy of `node` (found at `path`) with every reference resolved.
    pub fn resolve(&mut self, node: &Node, path: &str) -> Node {
        if self.depth >= MAX_DEPTH {
            if !self.too_deep {
                self.too_deep = true;
                self.report(
                    &node.loc,
                    path,
                    format!(
                        "values and the references between them nest more than {MAX_DEPTH} levels deep"
                    ),
                );
            }
            return node.clone();
        }
        self.depth += 1;
        let resolved = self.resolve_within(node, path);
        self.depth -= 1;
        resolved
    }

    fn resolve_within(&mut self, node: &Node, path: &str) -> Node {
        match &node.kind {
            Kind::Str(s) if s.contains("${") => self.resolve_str(s, &node.loc, path),
            Kind::Seq(items) => {
                let items = items
                    .iter()
                    .enumerate()
                    .map(|(i, n)| self.resolve(n, &format!("{path}[{i}]")))
                    .collect();
                Node {
                    also: node.also.clone(),
                    ..Node::new(Kind::Seq(items), node.loc.clone())
                }
            }
            Kind::Map(entries) => {
                let entries = entries
                    .iter()
                    .filter_map(|(k, v)| {
                        let p = if path.is_empty() {
                            k.name.clone()
                        } else {
                            format!("{path}.{}", k.name)
                        };
                        let resolved = self.resolve(v, &p);
                        (!dropped_when_empty(v, &resolved, &p)).then(|| (k.clone(), resolved))
                    })
                    .collect();
                Node {
                    also: node.also.clone(),
                    ..Node::new(Kind::Map(entries), node.loc.clone())
                }
            }
            _ => node.clone(),
        }
    }

    /// Resolves `s`; a reference that gives another one (`${var.foo_${var.tail}}`, which
    /// the CLI resolves though it calls it unsupported) is resolved in turn, a few rounds.
    fn resolve_str(&mut self, s: &str, loc: &Loc, path: &str) -> Node {
        let (mut node, mut spliced) = self.resolve_once(s, &[], loc, path);
        if !nested(s) {
            return node;
        }
        let mut input = s.to_string();
        for _ in 0..MAX_ROUNDS {
            // Only a reference that a splice made (part value, part the text around it) is
            // new; one inside a value was resolved, reported or deferred with that value.
            let next = match &node.kind {
                Kind::Str(next) if *next != input && !live(next, &spliced).is_empty() => {
                    next.clone()
                }
                _ => break,
            };
            (node, spliced) = self.resolve_once(&next, &spliced, loc, path);
            input = next;
        }
        node
    }

    /// One round over `s`, skipping references inside `spliced` (ranges of `s` that came
    /// from values or were left in place); gives those ranges of the result.
    fn resolve_once(
        &mut self,
        s: &str,
        spliced: &[Range<usize>],
        loc: &Loc,
        path: &str,
    ) -> (Node, Vec<Range<usize>>) {
        let refs = live(s, spliced);
        if let [(range, inner)] = refs.as_slice()
            && range.start == 0
            && range.end == s.len()
        {
            let node = match self.lookup(inner, loc, path) {
                Some(n) => Node::new(n.kind, loc.clone()),
                None => Node::new(Kind::Str(s.to_string()), loc.clone()),
            };
            return (node, Vec::new());
        }
        let mut out = Spliced::default();
        let mut last = 0;
        for (range, inner) in refs {
            out.copy(s, last..range.start, spliced);
            last = range.end;
            match self.lookup(inner, loc, path) {
                // Reported or deferred: inert in later rounds, like a value.
                None => out.value(&s[range]),
                Some(n) => match n.scalar_text() {
                    Some(t) => out.value(&t),
                    None => {
                        self.report(
                            loc,
                            path,
                            format!(
                                "${{{inner}}} is {}, which cannot be part of a string",
                                n.type_name()
                            ),
                        );
                    }
                },
            }
        }
        out.copy(s, last..s.len(), spliced);
        (Node::new(Kind::Str(out.text), loc.clone()), out.spliced)
    }

    /// Counts `node` against the budget; false (reported once) when the budget is spent.
    fn afford(&mut self, node: &Node, reference: &str, loc: &Loc, path: &str) -> bool {
        let before = self.spent;
        self.spent = before.saturating_add(weight(node));
        if self.spent <= BUDGET {
            return true;
        }
        // Reported where the budget ran out; later lookups stop at once.
        if before <= BUDGET {
            self.report(
                loc,
                path,
                format!(
                    "${{{reference}}}: the bundle's references expand to more than {} MiB; \
                     values that repeat other values grow exponentially",
                    BUDGET >> 20
                ),
            );
        }
        false
    }

    /// The resolved value of a reference; None leaves it in place (deferred or reported).
    fn lookup(&mut self, reference: &str, loc: &Loc, path: &str) -> Option<Node> {
        let root = reference.split(['.', '[']).next().unwrap_or_default();
        if !ROOTS.contains(&root) || self.spent > BUDGET {
            return None;
        }
        let target = match reference.strip_prefix("var.") {
            // `var.x.field` and `var.x[0].field` reach into a complex variable's value.
            Some(rest) => {
                let at = rest.find(['.', '[']).unwrap_or(rest.len());
                format!("variables.{}.value{}", &rest[..at], &rest[at..])
            }
            None => reference.to_string(),
        };
        let parts: Vec<&str> = reference.splitn(4, '.').collect();
        if let ["resources", kind, key, _] = parts.as_slice() {
            let exists = self
                .tree
                .get("resources")
                .and_then(|r| r.get(kind))
                .and_then(|k| k.get(key))
                .is_some();
            if !exists {
                self.report(
                    loc,
                    path,
                    format!(
                        "${{{reference}}} refers to resources.{kind}.{key}, which is not defined"
                    ),
                );
                return None;
            }
            // `.id` is filled in at deploy; another field the configuration does not set
            // (`.url`, ...) is known only to the workspace and stays as written.
            if self.keep_resources || is_deferred(reference) || find(self.tree, reference).is_none()
            {
                return None;
            }
        }
        if let Some(done) = self.memo.get(&target) {
            let done = done.clone();
            return self.afford(&done, reference, loc, path).then_some(done);
        }
        if self.stack.contains(&target) {
            let start = self.stack.iter().position(|s| *s == target).unwrap_or(0);
            let mut chain: Vec<String> = self.stack[start..].iter().map(|s| short(s)).collect();
            chain.push(short(&target));
            let message = format!(
                "${{{reference}}} is part of a reference loop: {}",
                chain.join(" -> ")
            );
            // A loop through a map or list value never settles in the CLI either; it stops
            // after a number of rounds with a warning and leaves the reference in place.
            let through_complex = self.stack[start..].iter().any(|s| {
                find(self.tree, s).is_some_and(|n| matches!(n.kind, Kind::Map(_) | Kind::Seq(_)))
            });
            if through_complex {
                let message = format!("{message} (left unresolved)");
                if self.first_time(loc, path, &message) {
                    self.diags.warn(loc, short_path(path), message);
                }
            } else {
                self.report(loc, path, message);
            }
            return None;
        }
        if find(self.tree, &target).is_none() && OPTIONAL_SETTINGS.contains(&target.as_str()) {
            return Some(Node::new(Kind::Str(String::new()), loc.clone()));
        }
        let Some(node) = find(self.tree, &target) else {
            let why = match reference.strip_prefix("var.") {
                Some(v)
                    if find(
                        self.tree,
                        &format!("variables.{}", v.split(['.', '[']).next().unwrap_or(v)),
                    )
                    .is_some() =>
                {
                    format!("variable {} has no value", v)
                }
                Some(v) => format!(
                    "variable {} is not declared under `variables`",
                    v.split(['.', '[']).next().unwrap_or(v)
                ),
                None => "no such setting".to_string(),
            };
            self.report(
                loc,
                path,
                format!("${{{reference}}} cannot be resolved: {why}"),
            );
            return None;
        };
        self.stack.push(target.clone());
        let resolved = self.resolve(node, &target);
        self.stack.pop();
        self.memo.insert(target, resolved.clone());
        self.afford(&resolved, reference, loc, path)
            .then_some(resolved)
    }
}

/// The references of `s` that are not wholly inside one of the `spliced` ranges.
fn live<'s>(s: &'s str, spliced: &[Range<usize>]) -> Vec<(Range<usize>, &'s str)> {
    references(s)
        .into_iter()
        .filter(|(r, _)| !spliced.iter().any(|v| v.start <= r.start && r.end <= v.end))
        .collect()
}

/// A string being built from text and values, with the ranges that came from values (or
/// are references left in place).
#[derive(Default)]
struct Spliced {
    text: String,
    spliced: Vec<Range<usize>>,
}

impl Spliced {
    /// Appends `s[range]`, carrying over the parts of it that came from values.
    fn copy(&mut self, s: &str, range: Range<usize>, from_values: &[Range<usize>]) {
        let at = self.text.len();
        for v in from_values {
            let (start, end) = (v.start.max(range.start), v.end.min(range.end));
            if start < end {
                self.spliced
                    .push(at + (start - range.start)..at + (end - range.start));
            }
        }
        self.text.push_str(&s[range]);
    }

    fn value(&mut self, t: &str) {
        let start = self.text.len();
        self.text.push_str(t);
        self.spliced.push(start..self.text.len());
    }
}

/// Roughly what a value costs to hand out: its text, and a little for each node.
fn weight(node: &Node) -> usize {
    let own = 32;
    match &node.kind {
        Kind::Str(s) => own + s.len(),
        Kind::Seq(items) => items.iter().fold(own, |w, n| w.saturating_add(weight(n))),
        Kind::Map(entries) => entries
            .iter()
            .fold(own, |w, (k, n)| w.saturating_add(k.name.len() + weight(n))),
        _ => own,
    }
}

/// Whether a `${` opens inside another one (`${var.foo_${var.tail}}`).
fn nested(s: &str) -> bool {
    s.match_indices("${").any(|(i, _)| {
        let rest = &s[i + 2..];
        let close = rest.find('}').unwrap_or(rest.len());
        rest[..close].contains("${")
    })
}

/// Rounds of resolving a string whose references gave references.
const MAX_ROUNDS: usize = 8;

/// A resource field (or `bundle.git.branch`) that is exactly one reference and resolves to
/// "" is left out, as the CLI leaves out empty optional fields (`policy_id: ${var.policy}`
/// with `default: ""` is not sent as "").
fn dropped_when_empty(written: &Node, resolved: &Node, path: &str) -> bool {
    let whole_reference = written.as_str().is_some_and(|s| {
        let refs = references(s);
        refs.len() == 1 && refs[0].0 == (0..s.len())
    });
    // In a map of free-form text (`tags`, `spark_conf`, ...) an empty value is a value.
    let parent = path.rsplit_once('.').map_or("", |(p, _)| p);
    let parent = parent.rsplit('.').next().unwrap_or_default();
    let free_form = TEXT_MAPS.contains(&parent.split('[').next().unwrap_or_default());
    whole_reference
        && resolved.as_str() == Some("")
        && !free_form
        && (path.starts_with("resources.") || path == "bundle.git.branch")
}

/// Settings that are maps of names to text, where "" is kept.
const TEXT_MAPS: &[&str] = &[
    "tags",
    "custom_tags",
    "spark_conf",
    "spark_env_vars",
    "base_parameters",
    "named_parameters",
    "configuration",
    "parameters",
    "options",
];

/// A variable's value is named as the variable the user wrote (`variables.x`).
fn short_path(path: &str) -> &str {
    path.strip_suffix(".value")
        .filter(|p| p.starts_with("variables."))
        .unwrap_or(path)
}

/// `variables.x.value` back to the `var.x` the user wrote.
fn short(path: &str) -> String {
    match path
        .strip_prefix("variables.")
        .and_then(|p| p.strip_suffix(".value"))
    {
        Some(name) => format!("var.{name}"),
        None => path.to_string(),
    }
}

/// The node at a dotted path (`a.b[2].c`).
pub fn find<'n>(tree: &'n Node, path: &str) -> Option<&'n Node> {
    let mut node = tree;
    for seg in path.split('.') {
        let mut parts = seg.split('[');
        let name = parts.next()?;
        node = node.get(name)?;
        for idx in parts {
            let i: usize = idx.strip_suffix(']')?.parse().ok()?;
            node = node.items()?.get(i)?;
        }
    }
    Some(node)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::yaml::parse;
    use std::path::Path;

    fn resolve(yaml: &str) -> (serde_json::Value, String) {
        let tree = parse(Path::new("t.yml"), yaml).unwrap();
        let mut r = Resolver::new(&tree);
        let out = r.resolve(&tree, "");
        (out.to_json(), r.diags.to_string())
    }

    #[test]
    fn splices_text_keeps_types_and_chains() {
        let (j, errs) = resolve(
            "variables:\n  a: {value: 3}\n  b: {value: 'x-${var.a}'}\n  c: {value: {k: 1}}\nout:\n  n: ${var.a}\n  s: ${var.b}-y\n  m: ${var.c}\n  id: ${resources.jobs.j.id}\nresources:\n  jobs:\n    j: {}\n",
        );
        assert_eq!(errs, "");
        assert_eq!(j["out"]["n"], 3);
        assert_eq!(j["out"]["s"], "x-3-y");
        assert_eq!(j["out"]["m"]["k"], 1);
        assert_eq!(j["out"]["id"], "${resources.jobs.j.id}");
    }

    #[test]
    fn other_dollar_braces_stay_text_and_optional_settings_are_empty() {
        let (j, errs) = resolve(
            "bundle: {name: b}\nresources:\n  jobs:\n    j: {name: n}\nout:\n  env: ${HOME}/logs\n  bad: 'a ${var.} ${x y} ${} ${a[0].b}'\n  branch: ${bundle.git.branch}\n  host: x${workspace.host}y\n  mode: ${bundle.mode}\n  url: ${resources.jobs.j.url}\n  name: ${resources.jobs.j.name}\n  id: ${resources.jobs.j.id}\n",
        );
        assert_eq!(errs, "");
        assert_eq!(j["out"]["env"], "${HOME}/logs");
        assert_eq!(j["out"]["bad"], "a ${var.} ${x y} ${} ${a[0].b}");
        assert_eq!(j["out"]["branch"], "");
        assert_eq!(j["out"]["host"], "xy");
        assert_eq!(j["out"]["mode"], "");
        assert_eq!(j["out"]["url"], "${resources.jobs.j.url}");
        assert_eq!(j["out"]["name"], "n");
        assert_eq!(j["out"]["id"], "${resources.jobs.j.id}");
        assert!(references("${a.b-c_d[1]} ${a-} ${_a} ${1a}").len() == 1);
    }

    #[test]
    fn loops_unknown_names_and_missing_resources_are_errors() {
        let (_, errs) = resolve(
            "variables:\n  a: {value: '${var.b}'}\n  b: {value: '${var.a}'}\nx: ${var.a}\ny: ${var.nope}\nz: ${resources.jobs.gone.id}\nw: ${bundle.nothing}\nv: ${resources.jobs.gone.url}\n",
        );
        assert!(
            errs.contains("t.yml:8:4: v: ${resources.jobs.gone.url} refers to resources.jobs.gone"),
            "{errs}"
        );
        assert!(
            errs.contains("is part of a reference loop: var.b -> var.a -> var.b"),
            "{errs}"
        );
        assert!(errs.contains("variable nope is not declared"), "{errs}");
        assert!(
            errs.contains("resources.jobs.gone, which is not defined"),
            "{errs}"
        );
        assert!(
            errs.contains("t.yml:7:4: w: ${bundle.nothing} cannot be resolved"),
            "{errs}"
        );
    }

    #[test]
    fn values_that_repeat_values_stop_at_the_budget() {
        // 2^40 copies of "x" as text, and as lists: refused once, not built.
        let mut yaml = String::from("variables:\n  v0: {value: x}\n  l0: {value: [x]}\n");
        for i in 1..=40 {
            let p = i - 1;
            yaml += &format!("  v{i}: {{value: '${{var.v{p}}}${{var.v{p}}}'}}\n");
            yaml += &format!("  l{i}: {{value: ['${{var.l{p}}}', '${{var.l{p}}}']}}\n");
        }
        yaml += "out: {s: '${var.v40}', l: '${var.l40}'}\n";
        let (_, errs) = resolve(&yaml);
        assert_eq!(
            errs.matches("expand to more than 64 MiB").count(),
            1,
            "{errs}"
        );
    }

    #[test]
    fn a_reference_inside_a_spliced_value_is_not_resolved_again() {
        // b's value holds a loop left in place; the nested round over `x` must not splice
        // b into itself round after round (it grew exponentially, with the error repeated).
        let (j, errs) = resolve(
            "variables:\n  a: {value: \"${var.b}'${var.a}\"}\n  b: {value: \"$${var.a} ${${var.q} ${var.t}\"}\n  t: {value: u}\n  tail: {value: tail}\n  foo_tail: {value: 7}\nout:\n  x: ${var.b}\n  nested: 'n-${var.foo_${var.tail}}'\n",
        );
        // The loop (twice: through b, and a by itself) and the unknown name, each once.
        assert_eq!(errs.lines().count(), 3, "{errs}");
        assert!(errs.contains("var.a -> var.a"), "{errs}");
        assert_eq!(
            errs.matches("variable q is not declared").count(),
            1,
            "{errs}"
        );
        assert_eq!(j["out"]["nested"], "n-7");
        let x = j["out"]["x"].as_str().unwrap();
        assert_eq!(x, "$${var.b}'${var.a} ${${var.q} u", "{x}");
    }

    #[test]
    fn a_chain_of_thousands_of_references_is_an_error_not_a_stack_overflow() {
        let mut yaml = String::from("variables:\n");
        for i in 0..5000 {
            yaml += &format!("  v{i}: {{value: '${{var.v{}}}'}}\n", i + 1);
        }
        yaml += "  v5000: {value: end}\n";
        let (_, errs) = resolve(&yaml);
        assert_eq!(
            errs.matches("nest more than 256 levels deep").count(),
            1,
            "{errs}"
        );
    }
}
