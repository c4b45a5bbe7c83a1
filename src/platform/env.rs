//! A snapshot of the environment. Only `main` takes it from the process; everything else gets
//! it passed in, so tests build any environment they like.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct Env(BTreeMap<String, String>);

impl Env {
    pub fn from_process() -> Env {
        Env(std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect())
    }

    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env(pairs
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    }

    /// A variable's value; an empty value counts as unset, as CI runners treat it.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .get(key)
            .map(String::as_str)
            .filter(|v| !v.is_empty())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }

    pub fn map(&self) -> &BTreeMap<String, String> {
        &self.0
    }
}

impl Env {
    /// Sets a variable unless it already has a value (connection inputs fill gaps only).
    pub fn set_if_unset(&mut self, key: &str, value: &str) {
        if self.get(key).is_none() {
            self.0.insert(key.to_string(), value.to_string());
        }
    }
}
