//! Secret references to AWS Secrets Manager, resolved against moto's real server on
//! 127.0.0.1: a JSON key, a whole secret, a missing one, and web-identity credentials.

use crate::support::moto;

use crate::common::*;
use moto::Moto;

/// moto seeded with the test secrets.
fn moto() -> Option<Moto> {
    moto::start("moto_seed.py", &[TOKEN])
}

fn aws_env(moto: &Moto) -> Vec<(String, String)> {
    vec![
        ("AWS_ENDPOINT_URL".into(), moto.url.clone()),
        ("AWS_REGION".into(), "eu-west-1".into()),
        ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
    ]
}

#[test]
fn token_from_a_json_key_and_from_a_whole_secret() {
    let Some(moto) = moto() else { return };
    let emu = TestEmulator::fast();
    for reference in ["aws-sm://ci/databricks#token", "aws-sm://ci/plain-token"] {
        let mut env = aws_env(&moto);
        env.push(("DATABRICKS_HOST".into(), emu.url()));
        env.push(("DATABRICKS_TOKEN".into(), reference.into()));
        env.push(("GITHUB_ACTIONS".into(), "true".into()));
        let out = brickci(&["auth", "check"], &as_refs(&env), &repo());
        let all = text(&out);
        assert_eq!(code(&out), 0, "{reference}: {all}");
        assert!(all.contains("method:    pat"), "{all}");
        // Masked with the runner (on stderr) before anything else brickci says there.
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with(&format!("::add-mask::{TOKEN}\n")),
            "{all}"
        );
        assert_no_secrets(&out, &[TOKEN]);
    }
}

#[test]
fn a_missing_secret_is_an_auth_failure_naming_the_reference() {
    let Some(moto) = moto() else { return };
    let emu = TestEmulator::fast();
    let mut env = aws_env(&moto);
    env.push(("DATABRICKS_HOST".into(), emu.url()));
    env.push(("DATABRICKS_TOKEN".into(), "aws-sm://ci/nope#token".into()));
    let out = brickci(&["auth", "check"], &as_refs(&env), &repo());
    let all = text(&out);
    assert_eq!(code(&out), 3, "{all}");
    assert!(all.contains("DATABRICKS_TOKEN: aws-sm://ci/nope#token could not be resolved: ResourceNotFoundException"), "{all}");
    assert!(
        emu.requests().is_empty(),
        "nothing was sent to the workspace"
    );
    let mut env = aws_env(&moto);
    env.push(("DATABRICKS_HOST".into(), emu.url()));
    env.push((
        "DATABRICKS_TOKEN".into(),
        "aws-sm://ci/databricks#missing_key".into(),
    ));
    let out = brickci(&["auth", "check"], &as_refs(&env), &repo());
    assert_eq!(code(&out), 3, "{}", text(&out));
    assert!(
        text(&out).contains("no key \"missing_key\""),
        "{}",
        text(&out)
    );
}

#[test]
fn web_identity_credentials_through_sts() {
    let Some(moto) = moto() else { return };
    let emu = TestEmulator::fast();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("web-identity-token");
    std::fs::write(&token_file, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJjaSJ9.c2ln").unwrap();
    let host = emu.url();
    let env = [
        ("AWS_ENDPOINT_URL", moto.url.as_str()),
        ("AWS_REGION", "eu-west-1"),
        (
            "AWS_ROLE_ARN",
            "arn:aws:iam::123456789012:role/codebuild-ci",
        ),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
        ("AWS_ROLE_SESSION_NAME", "brickci-test"),
        ("DATABRICKS_HOST", host.as_str()),
        ("DATABRICKS_TOKEN", "aws-sm://ci/databricks#token"),
    ];
    let out = brickci(&["auth", "check"], &env, &repo());
    assert_eq!(code(&out), 0, "{}", text(&out));
    assert_no_secrets(&out, &[TOKEN]);
}
