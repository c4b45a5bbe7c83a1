//! List pagination as the Jobs API does it: `limit` within a range, an opaque `page_token`,
//! and `has_more` / `next_page_token` (the array key left out when a page is empty).

use std::collections::HashMap;

use axum::response::Response;
use serde_json::{Value, json};

use super::errors::invalid_parameter;

pub struct Page {
    pub offset: usize,
    pub limit: usize,
    prefix: &'static str,
}

/// Reads `limit` (default, 1..=max) and `page_token` (tokens look like `<prefix>:<offset>`).
pub fn page(
    q: &HashMap<String, String>,
    default: usize,
    max: usize,
    prefix: &'static str,
) -> Result<Page, Response> {
    let limit = match q.get("limit").map(|l| l.parse::<usize>()) {
        None => default,
        Some(Ok(l)) if (1..=max).contains(&l) => l,
        Some(_) => {
            return Err(invalid_parameter(format!(
                "limit must be between 1 and {max}"
            )));
        }
    };
    let offset = match q.get("page_token").filter(|t| !t.is_empty()) {
        None => 0,
        Some(t) => t
            .strip_prefix(prefix)
            .and_then(|r| r.strip_prefix(':'))
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| invalid_parameter("Invalid page token"))?,
    };
    Ok(Page {
        offset,
        limit,
        prefix,
    })
}

/// `page_size` (the newer APIs' name for `limit`) and `page_token`, as [`page`] reads them.
pub fn sized(
    q: &HashMap<String, String>,
    default: usize,
    max: usize,
    prefix: &'static str,
) -> Result<Page, Response> {
    let mut q = q.clone();
    if let Some(size) = q.remove("page_size") {
        q.insert("limit".into(), size);
    }
    page(&q, default, max, prefix)
}

impl Page {
    /// As [`Page::respond`], for the APIs whose answers carry only `next_page_token`.
    pub fn respond_by_token(&self, key: &str, items: Vec<Value>) -> Value {
        let mut resp = self.respond(key, items);
        if let Some(m) = resp.as_object_mut() {
            m.remove("has_more");
            m.remove("prev_page_token");
        }
        resp
    }

    /// The response for `items` (all matches, in order), `key` naming the array.
    pub fn respond(&self, key: &str, items: Vec<Value>) -> Value {
        let total = items.len();
        let page: Vec<Value> = items
            .into_iter()
            .skip(self.offset)
            .take(self.limit)
            .collect();
        let more = self.offset + self.limit < total;
        let mut resp = json!({ "has_more": more });
        if !page.is_empty() {
            resp[key] = json!(page);
        }
        if more {
            resp["next_page_token"] =
                json!(format!("{}:{}", self.prefix, self.offset + self.limit));
        }
        if self.offset > 0 {
            resp["prev_page_token"] = json!(format!(
                "{}:{}",
                self.prefix,
                self.offset.saturating_sub(self.limit)
            ));
        }
        resp
    }
}
