//! Personal access token: sent as a bearer token, never refreshed.

use super::{AuthError, BoxFuture, Credentials, Headers, Secret, bearer};

pub struct PatCredentials {
    token: Secret,
}

impl PatCredentials {
    pub fn new(token: Secret) -> Self {
        PatCredentials { token }
    }
}

impl Credentials for PatCredentials {
    fn method(&self) -> String {
        "pat".into()
    }

    fn headers<'a>(
        &'a self,
        _http: &'a reqwest::Client,
    ) -> BoxFuture<'a, Result<Headers, AuthError>> {
        Box::pin(async move { bearer(&self.token) })
    }
}
