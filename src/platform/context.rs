//! What a report needs to know about the CI run: repository, commit, PR, run link.

use serde::Deserialize;

use super::Env;
#[cfg(test)]
use super::Kind;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct CiContext {
    pub repository: Option<String>,
    /// The commit under test; for GitHub pull requests the PR head, not the merge commit.
    pub sha: Option<String>,
    pub git_ref: Option<String>,
    pub pr_number: Option<u64>,
    pub run_id: Option<String>,
    pub run_attempt: Option<String>,
    pub run_url: Option<String>,
    pub workspace: Option<String>,
    pub temp_dir: Option<String>,
    pub api_url: Option<String>,
    pub actor: Option<String>,
}

#[derive(Deserialize, Default)]
struct GitHubVars {
    repository: Option<String>,
    sha: Option<String>,
    #[serde(rename = "ref")]
    git_ref: Option<String>,
    event_path: Option<String>,
    run_id: Option<String>,
    run_attempt: Option<String>,
    server_url: Option<String>,
    api_url: Option<String>,
    workspace: Option<String>,
    actor: Option<String>,
}

#[derive(Deserialize, Default)]
struct AzureVars {
    system_collectionuri: Option<String>,
    system_teamproject: Option<String>,
    build_repository_name: Option<String>,
    build_sourceversion: Option<String>,
    build_sourcebranch: Option<String>,
    build_buildid: Option<String>,
    system_jobattempt: Option<String>,
    system_pullrequest_pullrequestid: Option<String>,
    system_pullrequest_pullrequestnumber: Option<String>,
    build_sourcesdirectory: Option<String>,
    agent_tempdirectory: Option<String>,
    build_requestedfor: Option<String>,
}

#[derive(Deserialize, Default)]
struct CodeBuildVars {
    codebuild_build_id: Option<String>,
    codebuild_build_url: Option<String>,
    codebuild_resolved_source_version: Option<String>,
    codebuild_source_version: Option<String>,
    codebuild_webhook_trigger: Option<String>,
    codebuild_webhook_head_ref: Option<String>,
    codebuild_source_repo_url: Option<String>,
    codebuild_src_dir: Option<String>,
    codebuild_initiator: Option<String>,
    aws_region: Option<String>,
}

fn vars<T: for<'de> Deserialize<'de> + Default>(env: &Env, prefix: Option<&str>) -> T {
    let pairs = env
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()));
    match prefix {
        Some(p) => envy::prefixed(p).from_iter(pairs),
        None => envy::from_iter(pairs),
    }
    .unwrap_or_default()
}

/// The context as the platform's runner reads it (each platform's file picks its reader).
#[cfg(test)]
fn context(kind: Kind, env: &Env) -> CiContext {
    super::runner_for(kind).context(env)
}

/// No CI variables: only the temp folder.
pub(super) fn plain(env: &Env) -> CiContext {
    CiContext {
        temp_dir: env.get("TMPDIR").map(str::to_string),
        ..CiContext::default()
    }
}

pub(super) fn github(env: &Env) -> CiContext {
    let v: GitHubVars = vars(env, Some("GITHUB_"));
    let event: serde_json::Value = v
        .event_path
        .as_deref()
        .and_then(|p| std::fs::read_to_string(p).ok())
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default();
    let pr_number = github_pr_number(&event, v.git_ref.as_deref());
    let head_sha = event["pull_request"]["head"]["sha"]
        .as_str()
        .map(str::to_string);
    let run_url = match (&v.server_url, &v.repository, &v.run_id) {
        (Some(s), Some(r), Some(id)) => {
            Some(format!("{}/{r}/actions/runs/{id}", s.trim_end_matches('/')))
        }
        _ => None,
    };
    CiContext {
        repository: v.repository,
        sha: head_sha.or(v.sha),
        git_ref: v.git_ref,
        pr_number,
        run_id: v.run_id,
        run_attempt: v.run_attempt,
        run_url,
        workspace: v.workspace,
        temp_dir: env.get("RUNNER_TEMP").map(str::to_string),
        api_url: Some(v.api_url.unwrap_or_else(|| "https://api.github.com".into())),
        actor: v.actor,
    }
}

/// The PR number from the event payload, or from `refs/pull/N/merge`.
pub fn github_pr_number(event: &serde_json::Value, git_ref: Option<&str>) -> Option<u64> {
    event["pull_request"]["number"]
        .as_u64()
        .or_else(|| {
            event["issue"]["pull_request"]
                .is_object()
                .then(|| event["issue"]["number"].as_u64())
                .flatten()
        })
        .or_else(|| {
            let rest = git_ref?.strip_prefix("refs/pull/")?;
            rest.split('/').next()?.parse().ok()
        })
}

pub(super) fn azure(env: &Env) -> CiContext {
    let v: AzureVars = vars(env, None);
    let run_url = match (
        &v.system_collectionuri,
        &v.system_teamproject,
        &v.build_buildid,
    ) {
        (Some(c), Some(p), Some(id)) => Some(format!("{c}{p}/_build/results?buildId={id}")),
        _ => None,
    };
    CiContext {
        repository: v.build_repository_name,
        sha: v.build_sourceversion,
        git_ref: v.build_sourcebranch,
        pr_number: v
            .system_pullrequest_pullrequestnumber
            .or(v.system_pullrequest_pullrequestid)
            .and_then(|n| n.parse().ok()),
        run_id: v.build_buildid,
        run_attempt: v.system_jobattempt,
        run_url,
        workspace: v.build_sourcesdirectory,
        temp_dir: v.agent_tempdirectory,
        api_url: v.system_collectionuri,
        actor: v.build_requestedfor,
    }
}

pub(super) fn codebuild(env: &Env) -> CiContext {
    let v: CodeBuildVars = vars(env, None);
    let pr_number = [&v.codebuild_webhook_trigger, &v.codebuild_source_version]
        .into_iter()
        .flatten()
        .find_map(|s| s.strip_prefix("pr/").and_then(|n| n.parse().ok()));
    let run_url = v.codebuild_build_url.clone().or_else(|| {
        let (region, id) = (v.aws_region.as_ref()?, v.codebuild_build_id.as_ref()?);
        Some(format!(
            "https://{region}.console.aws.amazon.com/codebuild/home?region={region}#/builds/{}/view/new",
            id.replace(':', "%3A")
        ))
    });
    CiContext {
        repository: v.codebuild_source_repo_url,
        sha: v
            .codebuild_resolved_source_version
            .or(v.codebuild_source_version.filter(|s| !s.starts_with("pr/"))),
        git_ref: v.codebuild_webhook_head_ref,
        pr_number,
        run_id: v.codebuild_build_id,
        run_attempt: None,
        run_url,
        workspace: v.codebuild_src_dir,
        temp_dir: env.get("TMPDIR").map(str::to_string),
        api_url: None,
        actor: v.codebuild_initiator,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_pull_request_uses_head_sha_and_number() {
        let dir = tempfile::tempdir().unwrap();
        let event = dir.path().join("event.json");
        std::fs::write(
            &event,
            r#"{"number":5,"pull_request":{"number":5,"head":{"sha":"abc123"}}}"#,
        )
        .unwrap();
        let env = Env::from_pairs([
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_EVENT_PATH", event.to_str().unwrap()),
            ("GITHUB_SHA", "merge999"),
            ("GITHUB_REPOSITORY", "o/r"),
            ("GITHUB_RUN_ID", "42"),
            ("GITHUB_SERVER_URL", "https://github.com"),
        ]);
        let c = context(Kind::GitHubActions, &env);
        assert_eq!(c.sha.as_deref(), Some("abc123"));
        assert_eq!(c.pr_number, Some(5));
        assert_eq!(
            c.run_url.as_deref(),
            Some("https://github.com/o/r/actions/runs/42")
        );
        assert_eq!(
            github_pr_number(&serde_json::Value::Null, Some("refs/pull/17/merge")),
            Some(17)
        );
        let comment = serde_json::json!({"issue": {"number": 9, "pull_request": {}}});
        assert_eq!(github_pr_number(&comment, None), Some(9));
    }

    #[test]
    fn azure_and_codebuild_pr_numbers_and_links() {
        let env = Env::from_pairs([
            ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/org/"),
            ("SYSTEM_TEAMPROJECT", "proj"),
            ("BUILD_BUILDID", "12"),
            ("SYSTEM_PULLREQUEST_PULLREQUESTID", "33"),
        ]);
        let c = context(Kind::AzureDevOps, &env);
        assert_eq!(c.pr_number, Some(33));
        assert_eq!(
            c.run_url.as_deref(),
            Some("https://dev.azure.com/org/proj/_build/results?buildId=12")
        );
        let env = Env::from_pairs([
            ("CODEBUILD_BUILD_ID", "proj:uuid-1"),
            ("CODEBUILD_WEBHOOK_TRIGGER", "pr/8"),
            ("AWS_REGION", "eu-west-1"),
        ]);
        let c = context(Kind::CodeBuild, &env);
        assert_eq!(c.pr_number, Some(8));
        assert!(c.run_url.unwrap().contains("builds/proj%3Auuid-1/view/new"));
    }
}
