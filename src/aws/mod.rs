//! AWS clients, created only when a command needs one (start-up stays instant), through
//! aws-config's default chain: environment, web identity, CodeBuild's container role.

pub mod codecommit;
pub mod codepipeline;

/// Loads the shared AWS configuration; `endpoint_url` points every client at a local
/// server (tests) and otherwise `AWS_ENDPOINT_URL*` variables apply as the SDK reads them.
pub async fn config(endpoint_url: Option<&str>) -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    if let Some(url) = endpoint_url {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}
