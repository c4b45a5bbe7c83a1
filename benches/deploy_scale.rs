//! A deploy at scale against the emulator with 50 ms added to every API call: a generated
//! bundle of 1,000 notebooks and 20 jobs, deployed in full and then again with no change.
//! Reported: wall time and requests sent for each, and the full deploy as a ratio to a
//! baseline measured in the same run — the same folders, imports and job creates sent by
//! bare reqwest at the same concurrency, i.e. the unavoidable cost. Run: `cargo bench --bench
//! deploy_scale`.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use brickci::emulator::{EmulatorConfig, EmulatorHandle, FaultRule, start};
use serde_json::json;
use tokio::sync::Semaphore;

const NOTEBOOKS: usize = 1000;
const JOBS: usize = 20;
const CONCURRENCY: usize = 16;
const TOKEN: &str = "dapi-emulator-token";

fn write_bundle(dir: &Path) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let mut jobs = String::from("resources:\n  jobs:\n");
    for n in 0..NOTEBOOKS {
        let sub = dir.join(format!("src/area_{:02}", n % 25));
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(
            sub.join(format!("nb_{n:04}.py")),
            format!("# Databricks notebook source\nprint({n})\n"),
        )
        .unwrap();
    }
    for j in 0..JOBS {
        jobs.push_str(&format!(
            "    job_{j:02}:\n      name: job {j}\n      tasks:\n"
        ));
        for t in 0..5 {
            let n = j * 50 + t;
            jobs.push_str(&format!("        - task_key: t{t}\n          notebook_task:\n            notebook_path: ./src/area_{:02}/nb_{n:04}.py\n", n % 25));
        }
    }
    std::fs::write(
        dir.join("databricks.yml"),
        format!("bundle:\n  name: scale\n{jobs}"),
    )
    .unwrap();
}

async fn emulator() -> EmulatorHandle {
    let emu = start(EmulatorConfig::default()).await.unwrap();
    let rule: FaultRule = "/api/*=latency:50".parse().unwrap();
    emu.add_fault(rule);
    emu
}

fn deploy(bin: &str, dir: &Path, url: &str) -> (Duration, std::process::Output) {
    let started = Instant::now();
    let out = Command::new(bin)
        .args(["deploy", "--concurrency", &CONCURRENCY.to_string()])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATABRICKS_HOST", url)
        .env("DATABRICKS_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "deploy failed: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    (started.elapsed(), out)
}

/// The same writes by bare reqwest: one mkdirs per folder, one import per notebook, one
/// create per job, 16 at a time.
async fn baseline(url: &str) -> (Duration, usize) {
    let http = brickci::http::client(&Default::default()).unwrap();
    let root = "/Users/bench@example.com/baseline";
    let started = Instant::now();
    let sem = Arc::new(Semaphore::new(CONCURRENCY));
    let mut calls = Vec::new();
    for a in 0..25 {
        calls.push((
            "/api/2.0/workspace/mkdirs".to_string(),
            json!({ "path": format!("{root}/src/area_{a:02}") }),
        ));
    }
    let mkdirs = std::mem::take(&mut calls);
    for n in 0..NOTEBOOKS {
        let content = base64::engine::general_purpose::STANDARD
            .encode(format!("# Databricks notebook source\nprint({n})\n"));
        calls.push(("/api/2.0/workspace/import".into(), json!({ "path": format!("{root}/src/area_{:02}/nb_{n:04}", n % 25), "format": "SOURCE", "language": "PYTHON", "content": content, "overwrite": true })));
    }
    for j in 0..JOBS {
        calls.push((
            "/api/2.2/jobs/create".into(),
            json!({ "name": format!("baseline {j}") }),
        ));
    }
    let count = mkdirs.len() + calls.len();
    for batch in [mkdirs, calls] {
        let mut set = tokio::task::JoinSet::new();
        for (path, body) in batch {
            let permit = sem.clone().acquire_owned().await.unwrap();
            let http = http.clone();
            let url = format!("{url}{path}");
            set.spawn(async move {
                let r = http
                    .post(url)
                    .bearer_auth(TOKEN)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "{}", r.status());
                drop(permit);
            });
        }
        while set.join_next().await.is_some() {}
    }
    (started.elapsed(), count)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let bin = env!("CARGO_BIN_EXE_brickci");
    let dir = tempfile::tempdir().unwrap();
    write_bundle(dir.path());

    let emu = rt.block_on(emulator());
    let url = emu.url();
    let (base, base_calls) = rt.block_on(baseline(&url));
    let before = emu.requests().len();
    let (full, _) = deploy(bin, dir.path(), &url);
    let full_calls = emu.requests().len() - before;
    let before = emu.requests().len();
    let (noop, out) = deploy(bin, dir.path(), &url);
    let noop_log: Vec<_> = emu.requests().into_iter().skip(before).collect();
    let noop_writes = noop_log.iter().filter(|r| r.method != "GET").count();
    assert!(String::from_utf8_lossy(&out.stdout).contains("nothing to deploy"));
    rt.block_on(emu.shutdown());

    println!(
        "deploy of {NOTEBOOKS} notebooks + {JOBS} jobs, 50 ms per API call, concurrency {CONCURRENCY}:"
    );
    println!(
        "  baseline (bare reqwest, same writes): {:>6.2} s, {base_calls} requests",
        base.as_secs_f64()
    );
    println!(
        "  brickci full deploy:                 {:>6.2} s, {full_calls} requests, ratio {:.2}",
        full.as_secs_f64(),
        full.as_secs_f64() / base.as_secs_f64()
    );
    println!(
        "  brickci no-op redeploy:              {:>6.2} s, {} requests ({noop_writes} writes), ratio {:.2}",
        noop.as_secs_f64(),
        noop_log.len(),
        noop.as_secs_f64() / base.as_secs_f64()
    );
}
