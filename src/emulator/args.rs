//! `brickci emulator`: flags, and serving until a signal.

use clap::Args;

use super::{EmulatorConfig, FaultRule, ServicePrincipal, start};

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
}

impl EmulatorArgs {
    pub fn config(&self) -> anyhow::Result<EmulatorConfig> {
        let mut config = EmulatorConfig {
            bind: std::net::SocketAddr::new(self.host_ip, self.port),
            clock_speed: self.clock_speed,
            token_ttl_secs: self.token_ttl,
            user_name: self.user.clone(),
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
                    _ => Err(anyhow::anyhow!(
                        "--client expects ID:SECRET, got a value without ':'"
                    )),
                })
                .collect::<anyhow::Result<_>>()?;
        }
        config.faults = self
            .faults
            .iter()
            .map(|f| f.parse::<FaultRule>())
            .collect::<Result<_, _>>()?;
        Ok(config)
    }
}

/// Serves until SIGINT or SIGTERM.
pub async fn serve(args: EmulatorArgs) -> anyhow::Result<()> {
    let config = args.config()?;
    let handle = start(config).await?;
    println!("brickci emulator listening on {}", handle.url());
    use std::io::Write;
    let _ = std::io::stdout().flush();
    let mut interrupt = crate::signal::Interrupt::install()?;
    interrupt.wait().await;
    handle.shutdown().await;
    Ok(())
}
