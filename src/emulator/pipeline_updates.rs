//! Pipeline updates and their events. As with runs, nothing ticks: an update's state and the
//! events it has produced so far are computed from the emulated clock when looked at.

use serde_json::{Value, json};

/// Emulated milliseconds an update spends in each state before RUNNING, in order.
const PHASES: [(&str, u64); 5] = [
    ("QUEUED", 500),
    ("CREATED", 500),
    ("WAITING_FOR_RESOURCES", 1_000),
    ("INITIALIZING", 1_000),
    ("SETTING_UP_TABLES", 1_000),
];
/// How long RUNNING lasts unless a library notebook says otherwise.
pub const RUNNING_MS: u64 = 3_000;
/// How long a stopped update stays STOPPING before it is CANCELED.
const STOPPING_MS: u64 = 1_000;

#[derive(Debug, Clone)]
pub struct UpdateRecord {
    pub update_id: String,
    pub pipeline_id: String,
    pub created_ms: u64,
    /// The start-update fields as sent (full_refresh, refresh_selection, ...).
    pub request: Value,
    /// How long RUNNING lasts.
    pub running_ms: u64,
    /// A library notebook's `fail` directive: the message and the notebook's path.
    pub failure: Option<(String, String)>,
    pub stopped_ms: Option<u64>,
}

/// One state the update passed through, from when.
#[derive(Debug, Clone, PartialEq)]
struct Step {
    state: &'static str,
    at: u64,
}

impl UpdateRecord {
    /// The states this update goes through, with when each begins (the last one is final).
    fn timeline(&self) -> Vec<Step> {
        let mut steps = Vec::new();
        let mut at = self.created_ms;
        for (state, ms) in PHASES {
            steps.push(Step { state, at });
            at += ms;
        }
        // A validation reads the source and sets up no data: no RUNNING phase.
        if self.request["validate_only"] != json!(true) {
            steps.push(Step {
                state: "RUNNING",
                at,
            });
            at += self.running_ms;
        }
        let end = if self.failure.is_some() {
            "FAILED"
        } else {
            "COMPLETED"
        };
        steps.push(Step { state: end, at });
        if let Some(stop) = self.stopped_ms
            && stop < at
        {
            steps.retain(|s| s.at <= stop);
            steps.push(Step {
                state: "STOPPING",
                at: stop,
            });
            steps.push(Step {
                state: "CANCELED",
                at: stop + STOPPING_MS,
            });
        }
        steps
    }

    /// The steps reached by `now`.
    fn reached(&self, now: u64) -> Vec<Step> {
        let mut steps: Vec<Step> = self
            .timeline()
            .into_iter()
            .filter(|s| s.at <= now)
            .collect();
        if steps.is_empty() {
            steps.push(Step {
                state: "QUEUED",
                at: self.created_ms,
            });
        }
        steps
    }

    pub fn state(&self, now: u64) -> &'static str {
        self.reached(now)
            .last()
            .map(|s| s.state)
            .unwrap_or("QUEUED")
    }

    pub fn is_active(&self, now: u64) -> bool {
        !matches!(self.state(now), "COMPLETED" | "FAILED" | "CANCELED")
    }

    /// The update as `GET .../updates/{id}` shows it (UpdateInfo).
    pub fn info(&self, now: u64) -> Value {
        let mut info = json!({
            "pipeline_id": self.pipeline_id,
            "update_id": self.update_id,
            "state": self.state(now),
            "creation_time": self.created_ms,
            "cause": "API_CALL",
            "full_refresh": self.request["full_refresh"] == json!(true),
        });
        for key in ["refresh_selection", "full_refresh_selection"] {
            if let Some(list) = self.request[key].as_array().filter(|l| !l.is_empty()) {
                info[key] = json!(list);
            }
        }
        if self.request["validate_only"] == json!(true) {
            info["validate_only"] = json!(true);
        }
        info
    }

    /// The events this update has produced by `now`, oldest first: one `update_progress`
    /// per state, and an ERROR carrying the exception when it failed.
    pub fn events(&self, now: u64) -> Vec<Value> {
        let mut out = Vec::new();
        for (n, step) in self.reached(now).iter().enumerate() {
            let failed = step.state == "FAILED";
            let mut event = json!({
                "id": format!("{}-{n}", self.update_id),
                "sequence": { "control_plane_seq_no": n },
                "origin": { "pipeline_id": self.pipeline_id, "update_id": self.update_id },
                "timestamp": timestamp(step.at),
                "message": format!("Update {} is {}.", short(&self.update_id), step.state),
                "level": if failed { "ERROR" } else { "INFO" },
                "event_type": "update_progress",
                "maturity_level": "STABLE",
                "details": { "update_progress": { "state": step.state } },
            });
            if failed && let Some((message, notebook)) = &self.failure {
                let (class_name, text) = exception(message);
                event["error"] = json!({
                    "fatal": true,
                    "exceptions": [{ "class_name": class_name, "message": text }],
                });
                event["origin"]["flow_name"] = json!(notebook);
            }
            out.push(event);
        }
        out
    }
}

/// The first characters of an update id, as the workspace's messages show it.
fn short(id: &str) -> &str {
    &id[..id.len().min(6)]
}

/// `Name: text` splits into an exception class and its message; anything else is a plain
/// exception with the whole text.
fn exception(message: &str) -> (String, String) {
    if let Some((name, text)) = message.split_once(": ")
        && !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
    {
        return (name.to_string(), text.to_string());
    }
    ("Exception".into(), message.to_string())
}

/// RFC 3339 with milliseconds, as the events API writes timestamps.
pub fn timestamp(ms: u64) -> String {
    let secs = crate::util::rfc3339(ms / 1000);
    format!("{}.{:03}Z", secs.trim_end_matches('Z'), ms % 1000)
}

/// An events `filter`: clauses joined by AND, each `field = 'v'` or `field in ('a', 'b')`
/// over level, event_type, update_id (or origin.update_id) and id, or `timestamp` compared
/// with `=`, `<`, `<=`, `>`, `>=` to an RFC 3339 time.
#[derive(Debug, Default, PartialEq)]
pub struct EventFilter {
    clauses: Vec<Clause>,
}

#[derive(Debug, PartialEq)]
enum Clause {
    OneOf(String, Vec<String>),
    Time(&'static str, String),
}

impl EventFilter {
    pub fn parse(filter: &str) -> Result<EventFilter, String> {
        let mut clauses = Vec::new();
        for clause in split_and(filter) {
            let clause = clause.trim();
            if clause.is_empty() {
                continue;
            }
            if let Some(rest) = clause.strip_prefix("timestamp") {
                let rest = rest.trim_start();
                let op = [">=", "<=", ">", "<", "="]
                    .into_iter()
                    .find(|op| rest.starts_with(op))
                    .ok_or_else(|| format!("Invalid filter: {clause}"))?;
                let at = quoted(rest[op.len()..].trim())?;
                clauses.push(Clause::Time(op, comparable(&at)));
                continue;
            }
            let (field, values) = if let Some((f, v)) = clause.split_once('=') {
                (f.trim(), vec![quoted(v.trim())?])
            } else {
                let lower = clause.to_ascii_lowercase();
                let at = lower
                    .find(" in ")
                    .ok_or_else(|| format!("Invalid filter: {clause}"))?;
                let list = clause[at + 4..].trim();
                let list = list
                    .strip_prefix('(')
                    .and_then(|l| l.strip_suffix(')'))
                    .ok_or_else(|| format!("Invalid filter: {clause}"))?;
                let values = list
                    .split(',')
                    .map(|v| quoted(v.trim()))
                    .collect::<Result<Vec<_>, _>>()?;
                (clause[..at].trim(), values)
            };
            let field = match field {
                "level" | "event_type" | "id" | "update_id" => field.to_string(),
                "origin.update_id" => "update_id".to_string(),
                other => return Err(format!("Unsupported filter field: {other}")),
            };
            clauses.push(Clause::OneOf(field, values));
        }
        Ok(EventFilter { clauses })
    }

    pub fn matches(&self, event: &Value) -> bool {
        self.clauses.iter().all(|clause| match clause {
            Clause::OneOf(field, values) => {
                let v = match field.as_str() {
                    "update_id" => &event["origin"]["update_id"],
                    f => &event[f],
                };
                v.as_str().is_some_and(|v| values.iter().any(|w| w == v))
            }
            Clause::Time(op, at) => event["timestamp"].as_str().is_some_and(|t| {
                let t = comparable(t);
                match *op {
                    ">=" => t >= *at,
                    "<=" => t <= *at,
                    ">" => t > *at,
                    "<" => t < *at,
                    _ => t == *at,
                }
            }),
        })
    }
}

/// An RFC 3339 UTC time with milliseconds, so that times compare as text.
fn comparable(t: &str) -> String {
    match t.strip_suffix('Z') {
        Some(body) if !body.contains('.') => format!("{body}.000Z"),
        _ => t.to_string(),
    }
}

fn split_and(filter: &str) -> Vec<&str> {
    let lower = filter.to_ascii_lowercase();
    let mut parts = Vec::new();
    let mut start = 0;
    while let Some(i) = lower[start..].find(" and ") {
        parts.push(&filter[start..start + i]);
        start += i + 5;
    }
    parts.push(&filter[start..]);
    parts
}

fn quoted(v: &str) -> Result<String, String> {
    v.strip_prefix('\'')
        .and_then(|v| v.strip_suffix('\''))
        .map(str::to_string)
        .ok_or_else(|| format!("Invalid filter value: {v}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn update(failure: Option<&str>) -> UpdateRecord {
        UpdateRecord {
            update_id: "abcdef-123".into(),
            pipeline_id: "p".into(),
            created_ms: 1_000,
            request: json!({}),
            running_ms: RUNNING_MS,
            failure: failure.map(|m| (m.to_string(), "/nb".to_string())),
            stopped_ms: None,
        }
    }

    #[test]
    fn an_update_passes_each_state_and_ends() {
        let u = update(None);
        assert_eq!(u.state(1_000), "QUEUED");
        assert_eq!(u.state(1_600), "CREATED");
        assert_eq!(u.state(5_000), "RUNNING");
        assert_eq!(u.state(100_000), "COMPLETED");
        assert!(!u.is_active(100_000));
        let states: Vec<Value> = u
            .events(100_000)
            .iter()
            .map(|e| e["details"]["update_progress"]["state"].clone())
            .collect();
        assert_eq!(states.len(), 7);
        assert_eq!(states[6], "COMPLETED");
    }

    #[test]
    fn a_failed_update_has_an_error_event_with_the_exception() {
        let u = update(Some("AnalysisException: table missing"));
        assert_eq!(u.state(100_000), "FAILED");
        let last = u.events(100_000).pop().unwrap();
        assert_eq!(last["level"], "ERROR");
        assert_eq!(
            last["error"]["exceptions"][0]["class_name"],
            "AnalysisException"
        );
        assert_eq!(last["error"]["exceptions"][0]["message"], "table missing");
    }

    #[test]
    fn a_validation_sets_up_tables_and_runs_nothing() {
        let mut u = update(None);
        u.request = json!({ "validate_only": true });
        assert_eq!(u.state(4_500), "SETTING_UP_TABLES");
        assert_eq!(u.state(5_000), "COMPLETED");
        assert_eq!(u.info(5_000)["validate_only"], true);
        assert!(
            u.events(5_000)
                .iter()
                .all(|e| e["details"]["update_progress"]["state"] != "RUNNING")
        );
    }

    #[test]
    fn a_stop_cancels_an_active_update_only() {
        let mut u = update(None);
        u.stopped_ms = Some(5_000);
        assert_eq!(u.state(5_500), "STOPPING");
        assert_eq!(u.state(10_000), "CANCELED");
        let mut done = update(None);
        done.stopped_ms = Some(50_000);
        assert_eq!(done.state(60_000), "COMPLETED");
    }

    #[test]
    fn filters_by_update_and_level() {
        let f =
            EventFilter::parse("update_id = 'abcdef-123' AND level in ('ERROR', 'WARN')").unwrap();
        let events = update(Some("boom")).events(100_000);
        let hits: Vec<&Value> = events.iter().filter(|e| f.matches(e)).collect();
        assert_eq!(hits.len(), 1);
        assert!(
            EventFilter::parse("level='ERROR'")
                .unwrap()
                .matches(hits[0])
        );
        assert!(EventFilter::parse("colour = 'red'").is_err());
        let late = EventFilter::parse("timestamp >= '1970-01-01T00:00:05Z'").unwrap();
        let early = EventFilter::parse("timestamp < '1970-01-01T00:00:05Z'").unwrap();
        let all = update(None).events(100_000);
        let (l, e) = (
            all.iter().filter(|x| late.matches(x)).count(),
            all.iter().filter(|x| early.matches(x)).count(),
        );
        assert_eq!(
            (l + e, l),
            (all.len(), 2),
            "RUNNING at 5 s and COMPLETED after"
        );
        assert!(EventFilter::parse("level = ERROR").is_err());
    }

    #[test]
    fn timestamps_carry_milliseconds() {
        assert_eq!(timestamp(1_500), "1970-01-01T00:00:01.500Z");
    }
}
