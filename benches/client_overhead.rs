//! What brickci's client adds over a bare HTTP request, against the emulator on 127.0.0.1:
//! the same SCIM Me call N times through reqwest alone (baseline) and through the client
//! (credentials, retry loop, error parsing, typed decoding). Reported as a ratio, plus the
//! wall time of a whole notebook run on a fast emulated clock. Run: `cargo bench`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use brickci::auth::{PatCredentials, Secret};
use brickci::databricks::{Client, RetryPolicy, scim};
use brickci::emulator::{EmulatorConfig, start};

const CALLS: usize = 2000;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let emu = start(EmulatorConfig::default()).await.unwrap();
        let url = emu.url();
        let http = brickci::http::client(&Default::default()).unwrap();
        let me = format!("{url}/api/2.0/preview/scim/v2/Me");

        // Warm the connection pool for both.
        for _ in 0..50 {
            http.get(&me).bearer_auth("dapi-emulator-token").send().await.unwrap().bytes().await.unwrap();
        }
        let start_raw = Instant::now();
        for _ in 0..CALLS {
            let body = http.get(&me).bearer_auth("dapi-emulator-token").send().await.unwrap().bytes().await.unwrap();
            assert!(!body.is_empty());
        }
        let raw = start_raw.elapsed();

        let client = Client::new(
            http.clone(),
            url::Url::parse(&url).unwrap(),
            Arc::new(PatCredentials::new(Secret::new("dapi-emulator-token"))),
            RetryPolicy::default(),
        );
        let start_client = Instant::now();
        for _ in 0..CALLS {
            scim::me(&client).await.unwrap();
        }
        let typed = start_client.elapsed();

        let per = |d: Duration| d.as_secs_f64() * 1e6 / CALLS as f64;
        println!("scim/Me x{CALLS}: reqwest alone {:.0} us/call, brickci client {:.0} us/call, ratio {:.2}", per(raw), per(typed), typed.as_secs_f64() / raw.as_secs_f64());
        emu.shutdown().await;
    });
}
