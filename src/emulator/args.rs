//! `brickci emulator`: flags, and serving until a signal.

use clap::Args;

use super::{EmulatorConfig, FaultRule, FederationPolicy, RateLimit, ServicePrincipal, start};

#[derive(Debug, Clone, Args)]
pub struct EmulatorArgs {
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "BRICKCI_EMULATOR_PORT", default_value_t = 8000)]
    pub port: u16,
    /// Address to listen on.
    #[arg(long, env = "BRICKCI_EMULATOR_HOST_IP", default_value = "127.0.0.1")]
    pub host_ip: std::net::IpAddr,
    /// Emulated seconds per real second (e.g. 60: a minute-long run takes a second).
    #[arg(long, env = "BRICKCI_EMULATOR_CLOCK_SPEED", default_value_t = 1.0)]
    pub clock_speed: f64,
    /// Accepted personal access token (repeatable; default dapi-emulator-token).
    #[arg(long = "token", env = "BRICKCI_EMULATOR_TOKENS", value_delimiter = ',')]
    pub tokens: Vec<String>,
    /// OAuth client as ID:SECRET (repeatable; default emulator-sp:emulator-sp-secret).
    #[arg(
        long = "client",
        env = "BRICKCI_EMULATOR_CLIENTS",
        value_delimiter = ','
    )]
    pub clients: Vec<String>,
    /// Lifetime of issued OAuth tokens, in emulated seconds.
    #[arg(long, env = "BRICKCI_EMULATOR_TOKEN_TTL", default_value_t = 3600)]
    pub token_ttl: u64,
    /// userName of the token's owner.
    #[arg(
        long,
        env = "BRICKCI_EMULATOR_USER",
        default_value = "ci-bot@example.com"
    )]
    pub user: String,
    /// Fault rule, repeatable: [METHOD ]PATH=KIND[*COUNT], e.g.
    /// "GET */runs/get=429:retry-after=2*3", "*=latency:50", "POST */runs/submit=drop-after-apply*1".
    #[arg(long = "fault")]
    pub faults: Vec<String>,
    /// Seed for faults given as a share (`*=503@10%`): the same seed and requests fail the
    /// same way again.
    #[arg(long, default_value_t = 1)]
    pub fault_seed: u64,
    /// Rate limit, repeatable: [METHOD ]PATH=RPS, a token bucket refilling RPS a second and
    /// holding max(1, RPS); over it, 429 REQUEST_LIMIT_EXCEEDED with Retry-After. E.g.
    /// "POST */workspace/import=5".
    #[arg(long = "rate-limit", value_name = "[METHOD ]PATH=RPS")]
    pub rate_limits: Vec<String>,
    /// Workload identity federation policy as JSON (repeatable): {"client_id"?, "issuer",
    /// "audiences", "subject", "jwks"}; without client_id it is account-wide.
    #[arg(long = "federation-policy", value_name = "JSON")]
    pub federation_policies: Vec<String>,
    /// Read-only objects to hold besides the seeded ones, as a JSON file: {"clusters",
    /// "instance_pools", "cluster_policies", "service_principals"}, each a list of objects
    /// as the API lists them (so a bundle's `lookup:` can find given names and ids); and
    /// `"current_user": {"displayName": null}` for a caller without a display name.
    #[arg(long = "objects", value_name = "FILE")]
    pub objects: Option<std::path::PathBuf>,
}

/// Why the emulator did not start or stopped: a bad flag or an address in use are the
/// caller's input (exit 2); anything else is an I/O failure.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{0}")]
    Flag(String),
    #[error(
        "cannot listen on {addr}: {source} (another server has that port? --port 0 picks a free one)"
    )]
    Bind {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
    #[error("{0:#}")]
    Other(#[from] anyhow::Error),
}

impl ServeError {
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, ServeError::Other(_))
    }
}

impl EmulatorArgs {
    pub fn config(&self) -> Result<EmulatorConfig, ServeError> {
        if !(self.clock_speed.is_finite() && self.clock_speed > 0.0) {
            return Err(ServeError::Flag(format!(
                "--clock-speed must be a number above 0, got {}",
                self.clock_speed
            )));
        }
        if self.token_ttl == 0 {
            return Err(ServeError::Flag(
                "--token-ttl must be at least 1 second".into(),
            ));
        }
        if self.tokens.iter().any(|t| t.trim().is_empty()) {
            return Err(ServeError::Flag("--token must not be empty".into()));
        }
        let mut config = EmulatorConfig {
            bind: std::net::SocketAddr::new(self.host_ip, self.port),
            clock_speed: self.clock_speed,
            token_ttl_secs: self.token_ttl,
            user_name: self.user.clone(),
            fault_seed: self.fault_seed,
            ..EmulatorConfig::default()
        };
        if !self.tokens.is_empty() {
            config.tokens = self.tokens.clone();
        }
        if !self.clients.is_empty() {
            config.service_principals = self
                .clients
                .iter()
                .map(|c| match c.split_once(':') {
                    Some((id, secret)) if !id.is_empty() && !secret.is_empty() => {
                        Ok(ServicePrincipal {
                            client_id: id.into(),
                            client_secret: secret.into(),
                        })
                    }
                    _ => Err(ServeError::Flag(
                        "--client expects ID:SECRET, got a value without ':'".into(),
                    )),
                })
                .collect::<Result<_, _>>()?;
        }
        config.faults = self
            .faults
            .iter()
            .map(|f| {
                f.parse::<FaultRule>()
                    .map_err(|e| ServeError::Flag(format!("--fault: {e}")))
            })
            .collect::<Result<_, _>>()?;
        config.rate_limits = self
            .rate_limits
            .iter()
            .map(|r| {
                r.parse::<RateLimit>()
                    .map_err(|e| ServeError::Flag(format!("--rate-limit: {e}")))
            })
            .collect::<Result<_, _>>()?;
        config.federation = self
            .federation_policies
            .iter()
            .map(|p| {
                serde_json::from_str::<FederationPolicy>(p)
                    .map_err(|e| ServeError::Flag(format!("--federation-policy: {e}")))
            })
            .collect::<Result<_, _>>()?;
        if let Some(file) = &self.objects {
            let text = std::fs::read_to_string(file)
                .map_err(|e| ServeError::Flag(format!("--objects {}: {e}", file.display())))?;
            config.objects = serde_json::from_str(&text)
                .map_err(|e| ServeError::Flag(format!("--objects {}: {e}", file.display())))?;
            if !config.objects.is_object() {
                return Err(ServeError::Flag(format!(
                    "--objects {}: must hold a JSON object",
                    file.display()
                )));
            }
        }
        Ok(config)
    }
}

/// Serves until SIGINT or SIGTERM.
pub async fn serve(args: EmulatorArgs) -> Result<(), ServeError> {
    let config = args.config()?;
    let addr = config.bind;
    let handle = start(config)
        .await
        .map_err(|source| ServeError::Bind { addr, source })?;
    println!("brickci emulator listening on {}", handle.url());
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let mut interrupt = crate::signal::Interrupt::install().map_err(anyhow::Error::from)?;
    interrupt.wait().await;
    handle.shutdown().await;
    Ok(())
}
