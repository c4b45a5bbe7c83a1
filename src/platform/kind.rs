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
        } else if env.get("DATABRICKS_RUNTIME_VERSION").is_some() {
            Kind::DatabricksJob
        } else {
            Kind::Local
        }
    }
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
