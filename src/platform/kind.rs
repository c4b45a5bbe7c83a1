//! Which CI platform we are running on.

use std::fmt;

use super::Env;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    GitHubActions,
    AzureDevOps,
    CodeBuild,
    DatabricksJob,
    Local,
}

impl Kind {
    pub fn detect(env: &Env) -> Kind {
        if env.get("GITHUB_ACTIONS") == Some("true") {
            Kind::GitHubActions
        } else if env
            .get("TF_BUILD")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
        {
            Kind::AzureDevOps
        } else if env.get("CODEBUILD_BUILD_ID").is_some() {
            Kind::CodeBuild
        } else if in_databricks_job(env) {
            Kind::DatabricksJob
        } else {
            Kind::Local
        }
    }
}

/// A job task on Databricks compute: the runtime is there (`DATABRICKS_RUNTIME_VERSION`, set
/// on every cluster, interactive ones too) and so is job context: a job cluster
/// (`DB_IS_JOB_CLUSTER=TRUE`, set by Databricks on job compute) or a job/run id the task
/// passes in (`DATABRICKS_JOB_RUN_ID` / `DATABRICKS_JOB_ID`, e.g. from `{{job.run_id}}`).
pub fn in_databricks_job(env: &Env) -> bool {
    env.get("DATABRICKS_RUNTIME_VERSION").is_some()
        && (env
            .get("DB_IS_JOB_CLUSTER")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
            || env.get("DATABRICKS_JOB_RUN_ID").is_some()
            || env.get("DATABRICKS_JOB_ID").is_some())
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::GitHubActions => "github-actions",
            Kind::AzureDevOps => "azure-devops",
            Kind::CodeBuild => "codebuild",
            Kind::DatabricksJob => "databricks-job",
            Kind::Local => "local",
        })
    }
}
