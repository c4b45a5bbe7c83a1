//! OAuth M2M through the binary: discovery, identity, a rejected secret, and tokens renewed
//! before they expire during a long wait.

use crate::common::*;
use brickci::emulator::EmulatorConfig;

const SECRET: &str = "emulator-sp-secret";

fn m2m_env(emu: &TestEmulator, secret: &str) -> Vec<(String, String)> {
    vec![
        ("DATABRICKS_HOST".into(), emu.url()),
        ("DATABRICKS_CLIENT_ID".into(), "emulator-sp".into()),
        ("DATABRICKS_CLIENT_SECRET".into(), secret.into()),
        ("BRICKCI_POLL_MIN".into(), "0.05".into()),
        ("BRICKCI_POLL_MAX".into(), "0.1".into()),
    ]
}

#[test]
fn auth_check_names_method_and_service_principal() {
    let emu = TestEmulator::fast();
    let env = m2m_env(&emu, SECRET);
    let out = brickci(&["auth", "check"], &as_refs(&env), &repo());
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(all.contains("method:    oauth-m2m"), "{all}");
    assert!(all.contains("identity:  emulator-sp"), "{all}");
    assert_no_secrets(&out, &[SECRET]);
    // Found through host metadata, then OAuth metadata, as the SDKs do.
    assert_eq!(emu.calls("GET", "/.well-known/databricks-config").len(), 1);
    assert_eq!(emu.calls("POST", "/oidc/v1/token").len(), 1);
}

#[test]
fn rejected_client_secret_exits_3() {
    let emu = TestEmulator::fast();
    let env = m2m_env(&emu, "not-the-secret-123");
    let out = brickci(&["auth", "check"], &as_refs(&env), &repo());
    let all = text(&out);
    assert_eq!(code(&out), 3, "{all}");
    assert!(
        all.contains("DATABRICKS_CLIENT_SECRET"),
        "says what to check: {all}"
    );
    assert_no_secrets(&out, &["not-the-secret-123"]);
}

#[test]
fn long_run_outlives_its_tokens_without_a_failed_call() {
    // Tokens live 200 emulated seconds (1 real second at this speed); the notebook runs
    // 400 emulated seconds, so the wait needs several tokens.
    let emu = TestEmulator::start(EmulatorConfig {
        clock_speed: 200.0,
        token_ttl_secs: 200,
        ..EmulatorConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(
        dir.path(),
        "long.py",
        "# brickci-emulator: duration 400s\ndbutils.notebook.exit('done')\n",
    );
    let env = m2m_env(&emu, SECRET);
    let out = brickci(
        &["run", "--notebook", nb.to_str().unwrap()],
        &as_refs(&env),
        dir.path(),
    );
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    let tokens = emu.calls("POST", "/oidc/v1/token");
    assert!(tokens.len() >= 2, "tokens were renewed: {tokens:?}");
    let rejected: Vec<_> = emu
        .requests()
        .into_iter()
        .filter(|r| r.status == 401 || r.status == 403)
        .collect();
    assert!(
        rejected.is_empty(),
        "no call was sent with an expired token: {rejected:?}"
    );
    assert_no_secrets(&out, &[SECRET]);
}

#[test]
fn three_hour_run_with_one_hour_tokens() {
    // 3600x clock: the 3 emulated hours take about 3 real seconds, each token about 1.
    let emu = TestEmulator::start(EmulatorConfig {
        clock_speed: 3600.0,
        token_ttl_secs: 3600,
        ..EmulatorConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let nb = write_notebook(
        dir.path(),
        "train.py",
        "# brickci-emulator: duration 3h\ndbutils.notebook.exit('trained')\n",
    );
    let env = m2m_env(&emu, SECRET);
    let out = brickci(
        &["run", "--notebook", nb.to_str().unwrap()],
        &as_refs(&env),
        dir.path(),
    );
    let all = text(&out);
    assert_eq!(code(&out), 0, "{all}");
    assert!(all.contains("notebook output: trained"), "{all}");
    assert!(
        emu.calls("POST", "/oidc/v1/token").len() >= 3,
        "tokens renewed through the run"
    );
    assert!(
        emu.requests()
            .iter()
            .all(|r| r.status != 401 && r.status != 403),
        "no call with an expired token"
    );
}
