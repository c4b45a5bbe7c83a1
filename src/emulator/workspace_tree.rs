//! The workspace file tree: folders, notebooks and files, keyed by absolute path.

use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Directory,
    Notebook { language: String },
    File,
}

#[derive(Debug, Clone)]
pub struct Object {
    pub kind: Kind,
    pub id: i64,
    pub content: Vec<u8>,
    pub created_ms: u64,
    pub modified_ms: u64,
}

#[derive(Debug)]
pub struct Tree {
    pub objects: BTreeMap<String, Object>,
}

/// `/Workspace/Users/x` and `/Users/x` name the same object; trailing slashes don't count.
pub fn normalize(path: &str) -> Option<String> {
    if !path.starts_with('/') {
        return None;
    }
    let p = path
        .strip_prefix("/Workspace")
        .filter(|r| r.is_empty() || r.starts_with('/'))
        .unwrap_or(path);
    let p = p.trim_end_matches('/');
    if p.split('/').any(|seg| seg == "..") {
        return None;
    }
    Some(if p.is_empty() {
        "/".to_string()
    } else {
        p.to_string()
    })
}

pub fn parent(path: &str) -> Option<&str> {
    if path == "/" {
        return None;
    }
    match path.rfind('/') {
        Some(0) => Some("/"),
        Some(i) => Some(&path[..i]),
        None => None,
    }
}

impl Tree {
    pub fn new(now_ms: u64) -> Tree {
        let mut objects = BTreeMap::new();
        for (i, p) in ["/", "/Users", "/Shared", "/Repos"].iter().enumerate() {
            objects.insert(
                p.to_string(),
                Object {
                    kind: Kind::Directory,
                    id: i as i64 + 1,
                    content: Vec::new(),
                    created_ms: now_ms,
                    modified_ms: now_ms,
                },
            );
        }
        Tree { objects }
    }

    pub fn get(&self, path: &str) -> Option<&Object> {
        self.objects.get(path)
    }

    /// Everything below `dir`, as (path below it, object).
    fn below<'a>(&'a self, dir: &str) -> impl Iterator<Item = (&'a String, &'a Object, &'a str)> {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        let len = prefix.len();
        self.objects
            .range(prefix.clone()..)
            .take_while(move |(k, _)| k.starts_with(&prefix))
            .map(move |(k, o)| (k, o, &k[len..]))
    }

    pub fn children(&self, dir: &str) -> Vec<(&String, &Object)> {
        self.below(dir)
            .filter(|(_, _, rest)| !rest.is_empty() && !rest.contains('/'))
            .map(|(k, o, _)| (k, o))
            .collect()
    }

    pub fn descendants(&self, dir: &str) -> Vec<String> {
        self.below(dir).map(|(k, _, _)| k.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(
            normalize("/Workspace/Users/a/").as_deref(),
            Some("/Users/a")
        );
        assert_eq!(normalize("/Workspaces/x").as_deref(), Some("/Workspaces/x"));
        assert_eq!(normalize("rel"), None);
        assert_eq!(normalize("/a/../b"), None);
        assert_eq!(parent("/Users"), Some("/"));
        assert_eq!(parent("/Users/a/b"), Some("/Users/a"));
    }
}
