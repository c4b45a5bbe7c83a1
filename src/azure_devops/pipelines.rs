//! Azure Pipelines REST (api-version 7.1): Pipelines - List, Runs - Run Pipeline,
//! Runs - List and Runs - Get, under `{organization}/{project}/_apis/pipelines`.

use serde_json::Value;

use super::{API_VERSION, AdoAuth, AzureDevOpsError, request};

/// The pipeline list is paged by this many; a continuation token asks for the next page.
const PAGE: u32 = 1000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    pub id: u64,
    pub name: String,
    /// `\` for the root, `\team\ml` below it.
    pub folder: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Run {
    pub id: u64,
    /// unknown, inProgress, canceling, completed.
    pub state: String,
    /// succeeded, failed, canceled, unknown; absent until the run is completed.
    pub result: Option<String>,
    /// ISO 8601 in UTC, as the service writes it (`2026-12-03T16:20:01.1234567Z`).
    pub created: String,
    /// The run's page in the web UI.
    pub web_url: Option<String>,
}

impl Run {
    fn from_json(v: &Value) -> Run {
        let s = |k: &str| v[k].as_str().map(str::to_string);
        Run {
            id: v["id"].as_u64().unwrap_or_default(),
            state: s("state").unwrap_or_else(|| "unknown".into()),
            result: s("result"),
            created: s("createdDate").unwrap_or_default(),
            web_url: v["_links"]["web"]["href"].as_str().map(str::to_string),
        }
    }

    pub fn is_completed(&self) -> bool {
        self.state == "completed"
    }
}

pub struct Pipelines {
    http: reqwest::Client,
    /// `{organization}/{project}`, no trailing slash.
    project_url: String,
    auth: AdoAuth,
}

impl Pipelines {
    pub fn new(http: reqwest::Client, org_url: &str, project: &str, auth: AdoAuth) -> Pipelines {
        let project = percent_encoding::utf8_percent_encode(project, SEGMENT).to_string();
        Pipelines {
            http,
            project_url: format!("{}/{project}", org_url.trim_end_matches('/')),
            auth,
        }
    }

    fn url(&self, path: &str, query: &str) -> String {
        format!(
            "{}/_apis/pipelines{path}?api-version={API_VERSION}{query}",
            self.project_url
        )
    }

    /// The web page of run `id` when the service did not give one.
    pub fn run_page(&self, id: u64) -> String {
        format!("{}/_build/results?buildId={id}", self.project_url)
    }

    async fn get(&self, url: String) -> Result<super::Answer, AzureDevOpsError> {
        request(
            &self.http,
            &self.auth,
            reqwest::Method::GET,
            url,
            None,
            true,
        )
        .await
    }

    /// Every pipeline of the project, following continuation tokens.
    pub async fn list(&self) -> Result<Vec<Pipeline>, AzureDevOpsError> {
        let mut all = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = format!("&$top={PAGE}");
            if let Some(t) = &token {
                let t = percent_encoding::utf8_percent_encode(t, SEGMENT);
                query.push_str(&format!("&continuationToken={t}"));
            }
            let answer = self.get(self.url("", &query)).await?;
            for p in answer.body["value"].as_array().into_iter().flatten() {
                all.push(Pipeline {
                    id: p["id"].as_u64().unwrap_or_default(),
                    name: p["name"].as_str().unwrap_or_default().to_string(),
                    folder: p["folder"].as_str().unwrap_or("\\").to_string(),
                });
            }
            match answer.continuation {
                // A service that repeats its token would page forever.
                Some(next) if token.as_deref() != Some(next.as_str()) => token = Some(next),
                _ => return Ok(all),
            }
        }
    }

    /// Runs - Run Pipeline. Sent once: a 503 or a lost answer is the caller's to resolve.
    pub async fn run(&self, pipeline_id: u64, body: &Value) -> Result<Run, AzureDevOpsError> {
        let url = self.url(&format!("/{pipeline_id}/runs"), "");
        let answer = request(
            &self.http,
            &self.auth,
            reqwest::Method::POST,
            url,
            Some(body),
            false,
        )
        .await?;
        Ok(Run::from_json(&answer.body))
    }

    /// Runs - List: the pipeline's most recent runs.
    pub async fn runs(&self, pipeline_id: u64) -> Result<Vec<Run>, AzureDevOpsError> {
        let answer = self
            .get(self.url(&format!("/{pipeline_id}/runs"), ""))
            .await?;
        Ok(answer.body["value"]
            .as_array()
            .into_iter()
            .flatten()
            .map(Run::from_json)
            .collect())
    }

    /// Runs - Get.
    pub async fn get_run(&self, pipeline_id: u64, run_id: u64) -> Result<Run, AzureDevOpsError> {
        let answer = self
            .get(self.url(&format!("/{pipeline_id}/runs/{run_id}"), ""))
            .await?;
        Ok(Run::from_json(&answer.body))
    }
}

/// Characters escaped in a path segment or a query value.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_from_the_service_json() {
        let v = serde_json::json!({
            "id": 17, "state": "completed", "result": "succeeded",
            "createdDate": "2026-12-03T16:20:01.1234567Z",
            "_links": { "web": { "href": "https://dev.azure.com/o/p/_build/results?buildId=17" } }
        });
        let r = Run::from_json(&v);
        assert_eq!(r.id, 17);
        assert!(r.is_completed());
        assert_eq!(r.result.as_deref(), Some("succeeded"));
        assert!(r.web_url.unwrap().ends_with("buildId=17"));
    }

    #[test]
    fn project_names_are_escaped_in_the_url() {
        let p = Pipelines::new(
            crate::http::client(&Default::default()).unwrap(),
            "https://dev.azure.com/org/",
            "ML Ops",
            AdoAuth::Bearer(crate::auth::Secret::new("t")),
        );
        assert_eq!(
            p.url("/3/runs", ""),
            "https://dev.azure.com/org/ML%20Ops/_apis/pipelines/3/runs?api-version=7.1"
        );
    }
}
