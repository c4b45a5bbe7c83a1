//! Asynchronous states of the newer kinds (warehouses starting, apps deploying). Nothing
//! ticks in the background: a pending change is recorded with the emulated time it
//! completes, and applied whenever the object is looked at.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// A state change due at `at_ms`: the field at `pointer` (a JSON pointer) becomes `to`,
/// and `message` (if any) goes to the sibling `message` field.
#[derive(Debug, Clone)]
pub struct Pending {
    pub pointer: &'static str,
    pub to: String,
    pub message: Option<String>,
    pub at_ms: u64,
}

/// Pending changes by object key (`<kind>/<id>`), in the order they were scheduled.
#[derive(Debug, Default)]
pub struct Schedule {
    pending: BTreeMap<String, Vec<Pending>>,
}

impl Schedule {
    /// Replaces whatever was pending for `key` at `pointer` with one change.
    pub fn set(&mut self, key: &str, change: Pending) {
        let list = self.pending.entry(key.to_string()).or_default();
        list.retain(|p| p.pointer != change.pointer);
        list.push(change);
    }

    /// Forgets everything pending for `key` (the object is gone).
    pub fn clear(&mut self, key: &str) {
        self.pending.remove(key);
    }

    /// Applies to `v` every change for `key` that is due at `now`; returns how many.
    pub fn settle(&mut self, key: &str, v: &mut Value, now: u64) -> usize {
        let Some(list) = self.pending.get_mut(key) else {
            return 0;
        };
        let (due, later): (Vec<Pending>, Vec<Pending>) =
            list.drain(..).partition(|p| p.at_ms <= now);
        *list = later;
        for p in &due {
            set_pointer(v, p.pointer, json!(p.to));
            if let Some(m) = &p.message
                && let Some((parent, _)) = p.pointer.rsplit_once('/')
            {
                set_pointer(v, &format!("{parent}/message"), json!(m));
            }
        }
        if list.is_empty() {
            self.pending.remove(key);
        }
        due.len()
    }
}

/// Sets the value at a JSON pointer, creating objects on the way.
pub fn set_pointer(v: &mut Value, pointer: &str, new: Value) {
    let mut cur = v;
    for seg in pointer.split('/').skip(1) {
        if !cur.is_object() {
            *cur = json!({});
        }
        cur = cur
            .as_object_mut()
            .map(|m| m.entry(seg.to_string()).or_insert(Value::Null))
            .expect("made an object above");
    }
    *cur = new;
}

/// RFC 3339 for emulated epoch milliseconds (the newer APIs' timestamps).
pub fn timestamp(ms: u64) -> String {
    crate::util::rfc3339(ms / 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(pointer: &'static str, to: &str, at_ms: u64) -> Pending {
        Pending {
            pointer,
            to: to.into(),
            message: None,
            at_ms,
        }
    }

    #[test]
    fn a_change_applies_once_its_time_has_come() {
        let mut s = Schedule::default();
        let mut v = json!({"state": "STARTING"});
        s.set("w/1", change("/state", "RUNNING", 100));
        assert_eq!(s.settle("w/1", &mut v, 99), 0);
        assert_eq!(v["state"], "STARTING");
        assert_eq!(s.settle("w/1", &mut v, 100), 1);
        assert_eq!(v["state"], "RUNNING");
        assert_eq!(s.settle("w/1", &mut v, 200), 0, "applied once");
    }

    #[test]
    fn a_new_change_replaces_the_pending_one_at_the_same_field() {
        let mut s = Schedule::default();
        let mut v = json!({});
        s.set("a/x", change("/compute_status/state", "ACTIVE", 10));
        s.set("a/x", change("/compute_status/state", "STOPPED", 20));
        s.set(
            "a/x",
            Pending {
                message: Some("done".into()),
                ..change("/status/state", "SUCCEEDED", 5)
            },
        );
        assert_eq!(s.settle("a/x", &mut v, 30), 2);
        assert_eq!(v["compute_status"]["state"], "STOPPED");
        assert_eq!(v["status"]["message"], "done");
        s.set("a/x", change("/status/state", "FAILED", 50));
        s.clear("a/x");
        assert_eq!(s.settle("a/x", &mut v, 60), 0);
    }
}
