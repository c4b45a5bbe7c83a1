//! Where in the Python code each part of the output was defined (`locations.json`: one JSON
//! object a line, `{"path": "resources.jobs.x", "file", "line", "column"}`). A value takes
//! the place of its nearest located ancestor, so a job's task reports at the job's line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::bundle::yaml::Loc;

#[derive(Deserialize)]
struct Entry {
    path: String,
    file: String,
    #[serde(default)]
    line: Option<u64>,
    #[serde(default)]
    column: Option<u64>,
}

#[derive(Default)]
pub struct Locations(HashMap<Vec<String>, Loc>);

impl Locations {
    /// Parses the file's lines; a line that is not an entry is an error naming it.
    pub fn parse(text: &str, root: &Path) -> Result<Locations, String> {
        let mut out = Locations::default();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let e: Entry = serde_json::from_str(line)
                .map_err(|err| format!("locations line {}: {err}", i + 1))?;
            out.0.insert(
                segments(&e.path),
                source_loc(root, &e.file, e.line, e.column),
            );
        }
        Ok(out)
    }

    /// The place of `path` or of its nearest located ancestor.
    pub fn find(&self, path: &[String]) -> Option<&Loc> {
        (0..=path.len()).rev().find_map(|n| self.0.get(&path[..n]))
    }
}

/// `resources.jobs.x.tasks[0].key` as `["resources", "jobs", "x", "tasks", "[0]", "key"]`.
pub fn segments(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        match part.find('[') {
            Some(i) => {
                if i > 0 {
                    out.push(part[..i].to_string());
                }
                out.extend(part[i..].split_inclusive(']').map(str::to_string));
            }
            None => out.push(part.to_string()),
        }
    }
    out
}

/// A place in a Python source file: bundle-relative when it is inside the bundle (as YAML
/// places are), else as given.
pub fn source_loc(root: &Path, file: &str, line: Option<u64>, column: Option<u64>) -> Loc {
    let path = Path::new(file);
    let file = match path.strip_prefix(root) {
        Ok(rel) if path.is_absolute() => rel.to_path_buf(),
        _ => PathBuf::from(file),
    };
    Loc {
        file: Arc::new(file),
        line: line.unwrap_or(0),
        column: column.unwrap_or(if line.is_some() { 1 } else { 0 }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_takes_its_nearest_located_ancestor() {
        let text = concat!(
            "{\"path\": \"resources.jobs.a\", \"file\": \"resources/a.py\", \"line\": 3, \"column\": 1}\n",
            "{\"path\": \"resources.jobs.a.tasks[0]\", \"file\": \"/abs/root/resources/a.py\", \"line\": 9, \"column\": 5}\n",
        );
        let l = Locations::parse(text, Path::new("/abs/root")).unwrap();
        let at = |p: &str| l.find(&segments(p)).map(|l| l.to_string());
        assert_eq!(at("resources.jobs.a.name").unwrap(), "resources/a.py:3:1");
        assert_eq!(
            at("resources.jobs.a.tasks[0].notebook_task.notebook_path").unwrap(),
            "resources/a.py:9:5"
        );
        assert_eq!(
            at("resources.jobs.a.tasks[1]").unwrap(),
            "resources/a.py:3:1"
        );
        assert_eq!(at("resources.jobs.b"), None);
        assert!(Locations::parse("not json", Path::new("/")).is_err());
    }

    #[test]
    fn paths_split_into_keys_and_indexes() {
        assert_eq!(
            segments("resources.jobs.x.tasks[0][1].k"),
            ["resources", "jobs", "x", "tasks", "[0]", "[1]", "k"]
        );
    }
}
