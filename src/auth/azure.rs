//! Azure Entra ID tokens for Azure Databricks through azure_identity: client secret,
//! managed identity, workload identity (federated token file) and an Azure DevOps service
//! connection. A service principal not yet in the workspace also sends a management token
//! and, when configured, the workspace's resource id.

use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use azure_core::http::{ClientOptions, Transport};
use reqwest::header::{HeaderName, HeaderValue};

use super::{AuthError, BoxFuture, Credentials, Headers, Secret, bearer};

/// The application id of Azure Databricks in Entra ID (the same in every Azure cloud).
pub const DATABRICKS_SCOPE: &str = "2ff814a6-3304-4ab8-85cb-cd0e6f879c1d/.default";
const MANAGEMENT_SCOPE: &str = "https://management.core.windows.net/.default";

pub struct AzureCredentials {
    method: &'static str,
    credential: Arc<dyn TokenCredential>,
    /// Also send `X-Databricks-Azure-SP-Management-Token` (service principals).
    management: bool,
    resource_id: Option<String>,
}

/// Client options whose HTTP goes through brickci's own client (timeouts, TLS roots).
pub fn client_options() -> Result<ClientOptions, AuthError> {
    let http = crate::http::client(&Default::default()).map_err(|e| AuthError::Unavailable {
        method: "azure",
        endpoint: String::new(),
        message: e.to_string(),
    })?;
    Ok(ClientOptions {
        transport: Some(Transport::new(Arc::new(http))),
        ..ClientOptions::default()
    })
}

impl AzureCredentials {
    pub fn new(
        method: &'static str,
        credential: Arc<dyn TokenCredential>,
        management: bool,
        resource_id: Option<String>,
    ) -> Self {
        AzureCredentials {
            method,
            credential,
            management,
            resource_id,
        }
    }

    async fn token(&self, scope: &str) -> Result<Secret, AuthError> {
        // azure_identity caches tokens and renews them before they expire.
        let token = self
            .credential
            .get_token(&[scope], None)
            .await
            .map_err(|e| AuthError::Rejected {
                method: self.method,
                endpoint: "Entra ID".into(),
                message: crate::databricks::error_chain(&e),
            })?;
        Ok(Secret::new(token.token.secret()))
    }
}

fn sensitive(value: &str) -> Result<HeaderValue, AuthError> {
    let mut v = HeaderValue::from_str(value).map_err(|_| AuthError::BadHeader)?;
    v.set_sensitive(true);
    Ok(v)
}

impl Credentials for AzureCredentials {
    fn method(&self) -> String {
        self.method.into()
    }

    fn headers<'a>(
        &'a self,
        _http: &'a reqwest::Client,
    ) -> BoxFuture<'a, Result<Headers, AuthError>> {
        Box::pin(async move {
            let mut headers = bearer(&self.token(DATABRICKS_SCOPE).await?)?;
            if self.management {
                let mgmt = self.token(MANAGEMENT_SCOPE).await?;
                headers.push((
                    HeaderName::from_static("x-databricks-azure-sp-management-token"),
                    sensitive(mgmt.expose())?,
                ));
            }
            if let Some(id) = &self.resource_id {
                headers.push((
                    HeaderName::from_static("x-databricks-azure-workspace-resource-id"),
                    HeaderValue::from_str(id).map_err(|_| AuthError::BadHeader)?,
                ));
            }
            Ok(headers)
        })
    }
}

/// `ARM_*` (and `AZURE_*`) variables, as the Databricks SDKs and Terraform read them.
pub struct AzureEnv<'a> {
    pub client_id: Option<&'a str>,
    pub client_secret: Option<&'a str>,
    pub tenant_id: Option<&'a str>,
    pub use_msi: bool,
    pub federated_token_file: Option<&'a str>,
    pub service_connection_id: Option<&'a str>,
    pub system_access_token: Option<&'a str>,
    pub oidc_request_uri: Option<&'a str>,
    pub resource_id: Option<&'a str>,
}

/// The Azure credential for `method` as Databricks credentials, or the variable it lacks.
pub fn build(
    method: &'static str,
    env: &AzureEnv,
) -> Result<Arc<dyn Credentials>, super::config::Unusable> {
    let credential = token_credential(method, env)?;
    Ok(Arc::new(AzureCredentials::new(
        method,
        credential,
        true,
        env.resource_id.map(str::to_string),
    )))
}

/// The Azure methods in the order they are tried, for anything that needs an Entra token.
pub const METHODS: [&str; 4] = [
    "azure-client-secret",
    "azure-devops-service-connection",
    "azure-workload-identity",
    "azure-msi",
];

/// The first Azure credential the environment allows (for Key Vault references).
pub fn first_token_credential(env: &AzureEnv) -> Result<Arc<dyn TokenCredential>, AuthError> {
    let mut missing = Vec::new();
    for method in METHODS {
        match token_credential(method, env) {
            Ok(c) => return Ok(c),
            Err(super::config::Unusable::Failed(e)) => return Err(e),
            Err(super::config::Unusable::Missing(m)) => {
                missing.push(format!("{method}: {m} not set"))
            }
        }
    }
    Err(AuthError::NoCredentials(format!(
        "no Azure credentials for Key Vault ({})",
        missing.join("; ")
    )))
}

/// The azure_identity credential for `method`, or the variable it lacks.
pub fn token_credential(
    method: &'static str,
    env: &AzureEnv,
) -> Result<Arc<dyn TokenCredential>, super::config::Unusable> {
    use super::config::Unusable::{Failed, Missing};
    use azure_identity::{
        AzurePipelinesCredential, AzurePipelinesCredentialOptions,
        ClientAssertionCredentialOptions, ClientSecretCredential, ClientSecretCredentialOptions,
        ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
        WorkloadIdentityCredential, WorkloadIdentityCredentialOptions,
    };
    let need = |v: Option<&str>, name: &'static str| v.map(str::to_string).ok_or(Missing(name));
    let options = client_options().map_err(Failed)?;
    let failed = |e: azure_core::Error| {
        Failed(AuthError::Unavailable {
            method,
            endpoint: "Entra ID".into(),
            message: e.to_string(),
        })
    };
    let credential: Arc<dyn TokenCredential> = match method {
        "azure-client-secret" => {
            let id = need(env.client_id, "ARM_CLIENT_ID")?;
            let secret = need(env.client_secret, "ARM_CLIENT_SECRET")?;
            let tenant = need(env.tenant_id, "ARM_TENANT_ID")?;
            ClientSecretCredential::new(
                &tenant,
                id,
                secret.into(),
                Some(ClientSecretCredentialOptions {
                    client_options: options,
                }),
            )
            .map_err(failed)?
        }
        "azure-workload-identity" => {
            let file = need(env.federated_token_file, "AZURE_FEDERATED_TOKEN_FILE")?;
            let id = need(env.client_id, "ARM_CLIENT_ID")?;
            let tenant = need(env.tenant_id, "ARM_TENANT_ID")?;
            WorkloadIdentityCredential::new(Some(WorkloadIdentityCredentialOptions {
                credential_options: ClientAssertionCredentialOptions {
                    client_options: options,
                },
                client_id: Some(id),
                tenant_id: Some(tenant),
                token_file_path: Some(file.into()),
            }))
            .map_err(failed)?
        }
        "azure-devops-service-connection" => {
            let connection = need(
                env.service_connection_id,
                "AZURESUBSCRIPTION_SERVICE_CONNECTION_ID",
            )?;
            need(env.oidc_request_uri, "SYSTEM_OIDCREQUESTURI")?;
            let token = need(env.system_access_token, "SYSTEM_ACCESSTOKEN")?;
            let id = need(env.client_id, "ARM_CLIENT_ID")?;
            let tenant = need(env.tenant_id, "ARM_TENANT_ID")?;
            AzurePipelinesCredential::new(
                tenant,
                id,
                &connection,
                token,
                Some(AzurePipelinesCredentialOptions {
                    credential_options: ClientAssertionCredentialOptions {
                        client_options: options,
                    },
                }),
            )
            .map_err(failed)?
        }
        "azure-msi" => {
            if !env.use_msi {
                return Err(Missing("ARM_USE_MSI=true"));
            }
            ManagedIdentityCredential::new(Some(ManagedIdentityCredentialOptions {
                user_assigned_id: env
                    .client_id
                    .map(|c| UserAssignedId::ClientId(c.to_string())),
                client_options: options,
            }))
            .map_err(failed)?
        }
        _ => return Err(Missing("an auth type brickci knows")),
    };
    Ok(credential)
}
