//! The one place that builds HTTP clients: user agent, timeouts, TLS roots, no redirects.
//!
//! TLS roots are the bundled Mozilla set plus whatever the machine trusts (including
//! `SSL_CERT_FILE`), so the binary works in a `FROM scratch` image and behind a corporate CA.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// What a client needs to be built; defaults follow the Databricks SDK (60 s per request).
#[derive(Debug, Clone)]
pub struct HttpOptions {
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    #[error("cannot build the HTTP client: {0}")]
    Build(#[from] reqwest::Error),
}

pub fn user_agent() -> String {
    format!(
        "brickci/{} os/{} arch/{}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// Builds a client. Redirects are not followed: the Databricks SDK treats a redirect to a
/// login page as a Private Link error rather than a success.
pub fn client(opts: &HttpOptions) -> Result<reqwest::Client, HttpError> {
    let tls = tls_config()?;
    Ok(reqwest::Client::builder()
        .user_agent(user_agent())
        .connect_timeout(opts.connect_timeout)
        .timeout(opts.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .tls_backend_preconfigured((*tls).clone())
        .build()?)
}

fn tls_config() -> Result<Arc<rustls::ClientConfig>, HttpError> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(build_tls_config)
        .clone()
        .map_err(HttpError::Tls)
}

fn build_tls_config() -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    // Machine roots are optional: a scratch image has none, and that is fine.
    let native = rustls_native_certs::load_native_certs();
    for cert in native.certs {
        let _ = roots.add(cert);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_without_machine_roots_and_names_itself() {
        let c = client(&HttpOptions::default());
        assert!(c.is_ok(), "{:?}", c.err());
        assert!(user_agent().starts_with("brickci/"));
    }
}
