//! What brickci writes beside a PR deployment's state (`<state>/brickci-pr.json`): which
//! pull request of which repository, on which forge, its head branch, when the deployment
//! was made and last updated, and by which brickci. `gc` finds PR deployments by it, never
//! by folder names alone.

use serde::{Deserialize, Serialize};

use crate::databricks::{Client, ClientError, workspace};
use crate::platform::{Kind, Platform};

pub const FILE_NAME: &str = "brickci-pr.json";
/// Marks the file as brickci's, so another tool's JSON is never taken for it.
const KIND: &str = "brickci-pr-environment";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PrMetadata {
    pub kind: String,
    pub pr: u64,
    pub bundle: String,
    pub target: String,
    /// Where the pull request lives: `github`, `azure_devops`, `codebuild` or `local`
    /// (a `--pr N` outside CI: only its age can retire it).
    pub provider: String,
    /// `owner/name` on GitHub; the repository's name elsewhere.
    #[serde(default)]
    pub repository: Option<String>,
    /// Azure Repos: what the pull request's URL is built from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_devops: Option<AzureRepo>,
    #[serde(default)]
    pub head_ref: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// `updated_at` as seconds since the Unix epoch: what the age limit is compared with.
    pub updated_at_unix: u64,
    pub brickci_version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AzureRepo {
    pub collection_uri: String,
    pub project: String,
    pub repository_id: String,
}

pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The metadata for pull request `pr`'s deployment of `bundle`/`target` now; `previous`
/// (the file already there) keeps its `created_at`.
pub fn describe(
    platform: &Platform,
    pr: u64,
    bundle: &str,
    target: &str,
    previous: Option<&PrMetadata>,
    now: u64,
) -> PrMetadata {
    let env = platform.env();
    let get = |k: &str| env.get(k).filter(|v| !v.is_empty()).map(str::to_string);
    let ctx = platform.context();
    let (provider, head_ref) = match platform.kind() {
        Kind::GitHubActions => ("github", get("GITHUB_HEAD_REF")),
        Kind::AzureDevOps => ("azure_devops", get("SYSTEM_PULLREQUEST_SOURCEBRANCH")),
        Kind::CodeBuild => ("codebuild", get("CODEBUILD_WEBHOOK_HEAD_REF")),
        _ => ("local", None),
    };
    let azure_devops = (provider == "azure_devops")
        .then(|| {
            Some(AzureRepo {
                collection_uri: get("SYSTEM_COLLECTIONURI")?,
                // The id, as the PR comment uses it: a project name may need escaping.
                project: get("SYSTEM_TEAMPROJECTID").or_else(|| get("SYSTEM_TEAMPROJECT"))?,
                repository_id: get("BUILD_REPOSITORY_ID").or_else(|| ctx.repository.clone())?,
            })
        })
        .flatten();
    let stamp = crate::util::rfc3339(now);
    PrMetadata {
        kind: KIND.into(),
        pr,
        bundle: bundle.into(),
        target: target.into(),
        provider: provider.into(),
        repository: ctx.repository,
        azure_devops,
        head_ref,
        created_at: previous.map_or_else(|| stamp.clone(), |p| p.created_at.clone()),
        updated_at: stamp,
        updated_at_unix: now,
        brickci_version: env!("CARGO_PKG_VERSION").into(),
    }
}

/// The metadata at `state_path`: `Ok(Err(why))` when there is none or it is not brickci's
/// metadata for pull request `pr` of `bundle`/`target`.
pub async fn read(
    client: &Client,
    state_path: &str,
    pr: u64,
    bundle: &str,
    target: &str,
) -> Result<Result<PrMetadata, String>, ClientError> {
    let path = format!("{state_path}/{FILE_NAME}");
    let Some(bytes) = workspace::read_file(client, &path, "PR metadata").await? else {
        return Ok(Err(format!("no {FILE_NAME} in {state_path}")));
    };
    Ok(check(&bytes, pr, bundle, target).map_err(|why| format!("{path}: {why}")))
}

/// The file's content, if it is brickci's metadata for this deployment.
fn check(bytes: &[u8], pr: u64, bundle: &str, target: &str) -> Result<PrMetadata, String> {
    let m: PrMetadata =
        serde_json::from_slice(bytes).map_err(|e| format!("not PR metadata ({e})"))?;
    if m.kind != KIND {
        return Err(format!("kind is {:?}, not {KIND:?}", m.kind));
    }
    if m.pr != pr || m.bundle != bundle || m.target != target {
        return Err(format!(
            "it describes pull request {} of {}/{}, not {pr} of {bundle}/{target}",
            m.pr, m.bundle, m.target
        ));
    }
    Ok(m)
}

pub async fn write(client: &Client, state_path: &str, m: &PrMetadata) -> Result<(), ClientError> {
    let path = format!("{state_path}/{FILE_NAME}");
    let bytes = serde_json::to_vec_pretty(m).expect("serialises");
    crate::deploy::files::put_workspace_file(client, &path, &bytes).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::Env;

    #[test]
    fn github_metadata_names_the_repository_and_head() {
        let p = Platform::detect(Env::from_pairs([
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REPOSITORY", "acme/shop"),
            ("GITHUB_HEAD_REF", "feature/x"),
        ]));
        let first = describe(&p, 7, "shop", "dev", None, 1_795_000_000);
        assert_eq!(first.provider, "github");
        assert_eq!(first.repository.as_deref(), Some("acme/shop"));
        assert_eq!(first.head_ref.as_deref(), Some("feature/x"));
        assert_eq!(first.created_at, "2026-11-18T11:06:40Z");
        let later = describe(&p, 7, "shop", "dev", Some(&first), 1_795_000_600);
        assert_eq!(later.created_at, first.created_at);
        assert_eq!(later.updated_at_unix, 1_795_000_600);
        let bytes = serde_json::to_vec(&later).unwrap();
        assert_eq!(check(&bytes, 7, "shop", "dev"), Ok(later));
        assert!(check(&bytes, 8, "shop", "dev").is_err());
        assert!(check(&bytes, 7, "shop", "prod").is_err());
        assert!(check(b"{\"pr\": 7}", 7, "shop", "dev").is_err());
    }

    #[test]
    fn azure_metadata_keeps_what_the_pr_url_needs() {
        let p = Platform::detect(Env::from_pairs([
            ("TF_BUILD", "True"),
            ("SYSTEM_COLLECTIONURI", "https://dev.azure.com/acme/"),
            ("SYSTEM_TEAMPROJECT", "Shop"),
            ("BUILD_REPOSITORY_ID", "0f1e"),
            ("BUILD_REPOSITORY_NAME", "shop"),
        ]));
        let m = describe(&p, 3, "shop", "dev", None, 0);
        assert_eq!(m.provider, "azure_devops");
        let repo = m.azure_devops.unwrap();
        assert_eq!(repo.repository_id, "0f1e");
        assert_eq!(repo.project, "Shop");
    }
}
