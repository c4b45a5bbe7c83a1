//! The bundle a command works on: loaded, validated and its lookups answered.

use crate::bundle::{Bundle, Identity, LoadOptions, prepare};
use crate::cli::BundleArgs;
use crate::databricks::Client;
use crate::error::Error;
use crate::platform::Platform;

pub(super) fn invalid(diags: &crate::bundle::Diagnostics) -> Error {
    Error::BadInput {
        message: format!("the bundle configuration is invalid:\n{diags}"),
        help: vec!["nothing was deployed; fix the places named above".into()],
    }
}

/// Who is deploying, from SCIM Me.
pub async fn identity(client: &Client) -> Result<Identity, Error> {
    let me = crate::databricks::scim::me(client).await?.me;
    Ok(Identity {
        user_name: me.user_name.clone().unwrap_or_default(),
        display_name: me.display_name.clone(),
        id: me.id.clone(),
    })
}

pub async fn load(
    platform: &Platform,
    client: &Client,
    args: &BundleArgs,
) -> Result<Bundle, Error> {
    let vars = super::values::key_values("--var", &args.vars)?;
    let opts = LoadOptions {
        dir: &args.bundle_dir,
        target: args.target.as_deref(),
        vars: &vars,
        env: platform.env().map(),
        host: Some(client.host().as_str().trim_end_matches('/')),
    };
    // Everything local is checked before the first call, so a broken bundle costs nothing.
    let local = prepare(
        &opts,
        Identity {
            user_name: "placeholder@localhost".into(),
            display_name: None,
            id: None,
        },
    );
    match local {
        Err(diags) => return Err(invalid(&diags)),
        // Symlinks out of the bundle and what the API would refuse: before the first request.
        Ok(p) => {
            p.checks_before_requests().map_err(|d| invalid(&d))?;
            let (root, include, exclude) = p.sync_globs();
            crate::deploy::sync::synced(root, &include, &exclude).map_err(Error::bad_input)?;
        }
    }
    let me = identity(client).await?;
    let prepared = prepare(&opts, me).map_err(|d| invalid(&d))?;
    let answers = crate::deploy::lookup::answer(client, &prepared.lookups).await?;
    let bundle = prepared.finish(&answers).map_err(|d| invalid(&d))?;
    if let Some(host) = &bundle.workspace.host {
        let want = crate::auth::normalize_host(host).map_err(|e| {
            // The message is about the bundle's value, not the variable.
            let why = e.to_string().replacen("DATABRICKS_HOST ", "", 1);
            Error::bad_input(format!("workspace.host: {why}"))
        })?;
        if want.host_str() != client.host().host_str()
            || want.port_or_known_default() != client.host().port_or_known_default()
        {
            return Err(Error::bad_input(format!(
                "target {} deploys to {} (workspace.host) but DATABRICKS_HOST is {}",
                bundle.target,
                want.as_str().trim_end_matches('/'),
                client.host().as_str().trim_end_matches('/')
            )));
        }
    }
    Ok(bundle)
}
