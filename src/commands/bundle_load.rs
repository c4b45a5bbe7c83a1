//! The bundle a command works on: loaded, validated and its lookups answered.

use std::collections::HashSet;

use crate::bundle::{Bundle, ConfigError, Diagnostics, Identity, LoadOptions, prepare};
use crate::cli::BundleArgs;
use crate::databricks::Client;
use crate::error::Error;
use crate::platform::{Annotation, Level, Platform};

pub(super) fn invalid(diags: &Diagnostics) -> Error {
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

/// What the bundle is loaded for: `validate` shows what only a deploy would refuse as
/// warnings, as the CLI's validate passes it; plan and deploy refuse it, before any request
/// when no lookup is needed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Validate,
    Deploy,
}

/// The bundle `args` name, loaded for `purpose`.
pub async fn load(
    platform: &Platform,
    client: &Client,
    args: &BundleArgs,
    purpose: Purpose,
) -> Result<Bundle, Error> {
    match load_whole(platform, client, args, purpose).await? {
        (_, Some(e)) => Err(e),
        (bundle, None) => Ok(bundle),
    }
}

/// As [`load`], but an error that left the configuration whole (an unreadable `.git`) comes
/// with the bundle: `validate` prints the configuration and then fails, as the Databricks
/// CLI does.
pub async fn load_whole(
    platform: &Platform,
    client: &Client,
    args: &BundleArgs,
    purpose: Purpose,
) -> Result<(Bundle, Option<Error>), Error> {
    let deploying = purpose == Purpose::Deploy;
    let vars = super::values::key_values("--var", &args.vars)?;
    let opts = LoadOptions {
        dir: &args.bundle_dir,
        target: args.single_target(),
        vars: &vars,
        env: platform.env().map(),
        host: Some(client.host().as_str().trim_end_matches('/')),
        pr: crate::pr_env::resolve(args.pr, platform)?,
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
    let mut warned = Warned::new(platform, args);
    match local {
        Err(diags) if deploying => {
            return Err(warned.fail(diags.for_deploy().unwrap_or_else(|d| d)));
        }
        Err(diags) => return Err(warned.fail(diags)),
        // Every static problem (symlinks out of the bundle, what the API would refuse, kinds
        // brickci does not deploy) was reported by `prepare`, before the first request.
        Ok(mut p) => {
            // Under --strict the warnings fail here, before any request; so does what the
            // API would refuse, when deploying.
            warned.pass_for(std::mem::take(&mut p.warnings), deploying)?;
            // Another workspace than the one brickci talks to: before any lookup.
            if let (Some(host), target) = p.literal_host() {
                same_host(host, target, client)?;
            }
            let (root, paths, include, exclude) = p.sync_globs();
            crate::deploy::sync::synced(root, paths, &include, &exclude)
                .map_err(Error::bad_input)?;
            // Without lookups the local load completes here, so a deploy's refusals come
            // before the first request too. Its other problems and warnings are reported by
            // the load below, with the deploying user (this one has a placeholder).
            if deploying
                && p.lookups.is_empty()
                && let Ok(local) = p.finish(&Default::default())
            {
                let mut refused = local.warnings.deploy_refusals();
                refused.check().map_err(|d| warned.fail(d))?;
            }
        }
    }
    let me = identity(client).await?;
    let prepared = prepare(&opts, me).map_err(|d| warned.fail(d))?;
    let answers = crate::deploy::lookup::answer(client, &prepared.lookups).await?;
    let mut bundle = prepared.finish(&answers).map_err(|d| warned.fail(d))?;
    // A Unity Catalog secret's value and a key given in the clear (`*_plaintext`), often from
    // a CI secret through a variable, are masked like any secret brickci reads: no log,
    // report or printed configuration shows them.
    for r in &bundle.resources {
        for value in crate::deploy::kinds::secret_values(&r.kind, &r.settings) {
            platform.mask(value);
        }
    }
    // Local libraries on a cluster named by id: its runtime version is the API's.
    let by_id = std::mem::take(&mut bundle.wheel_clusters);
    if !by_id.is_empty() {
        let ids = by_id.iter().map(|c| c.cluster_id.as_str());
        let versions = crate::deploy::lookup::spark_versions(client, ids).await;
        crate::bundle::check_wheel_clusters(&by_id, &versions, &mut bundle.warnings);
    }
    let diags = std::mem::take(&mut bundle.warnings);
    let late = diags.has_errors().then(|| warned.fail(diags.clone()));
    if late.is_none() {
        warned.pass_for(diags, deploying)?;
    }
    if let Some(host) = &bundle.workspace.host {
        same_host(host, &bundle.target, client)?;
    }
    Ok((bundle, late))
}

/// The bundle's `workspace.host` must be the workspace brickci is authenticated to.
fn same_host(host: &str, target: &str, client: &Client) -> Result<(), Error> {
    let want = crate::auth::normalize_host(host).map_err(|e| {
        // The message is about the bundle's value, not the variable.
        let why = e.to_string().replacen("DATABRICKS_HOST ", "", 1);
        Error::bad_input(format!("workspace.host: {why}"))
    })?;
    if want.host_str() != client.host().host_str()
        || want.port_or_known_default() != client.host().port_or_known_default()
    {
        return Err(Error::bad_input(format!(
            "target {target} deploys to {} (workspace.host) but DATABRICKS_HOST is {}",
            want.as_str().trim_end_matches('/'),
            client.host().as_str().trim_end_matches('/')
        )));
    }
    Ok(())
}

/// Shows each configuration warning once (the bundle is loaded twice: locally, then with
/// the deploying user), pinned to its file and line as the platform can; under `--strict`
/// a warning fails the load as an error.
struct Warned<'p> {
    platform: &'p Platform,
    dir: &'p std::path::Path,
    target: Option<&'p str>,
    strict: bool,
    shown: HashSet<String>,
    /// The folder the diagnostics' places are relative to (the sync root), read once.
    places: std::cell::OnceCell<std::path::PathBuf>,
}

impl<'p> Warned<'p> {
    fn new(platform: &'p Platform, args: &'p BundleArgs) -> Warned<'p> {
        Warned {
            platform,
            dir: &args.bundle_dir,
            target: args.single_target(),
            strict: args.strict,
            shown: HashSet::new(),
            places: std::cell::OnceCell::new(),
        }
    }

    /// `Ok` when `diags` holds only warnings (shown), `Err` under `--strict`.
    fn pass(&mut self, diags: Diagnostics) -> Result<(), Error> {
        if self.strict && !diags.is_empty() {
            return Err(self.fail(diags));
        }
        self.show(&diags);
        Ok(())
    }

    /// As [`Self::pass`]; when `deploying`, what the API would refuse is an error.
    fn pass_for(&mut self, diags: Diagnostics, deploying: bool) -> Result<(), Error> {
        if !deploying {
            return self.pass(diags);
        }
        match diags.for_deploy() {
            Ok(diags) => self.pass(diags),
            Err(refused) => Err(self.fail(refused)),
        }
    }

    /// The error for a bundle with errors; its warnings are shown first.
    fn fail(&mut self, diags: Diagnostics) -> Error {
        if self.strict {
            return invalid(&diags.strict());
        }
        self.show(&diags);
        invalid(&diags)
    }

    fn show(&mut self, diags: &Diagnostics) {
        for w in diags.warnings() {
            if self.shown.insert(w.to_string()) {
                self.platform.annotate(&self.annotation(w));
            }
        }
    }

    fn annotation(&self, w: &ConfigError) -> Annotation {
        let place = |n: u64| u32::try_from(n).ok().filter(|n| *n > 0);
        let file = if w.loc.line == 0 {
            None
        } else {
            let places = self
                .places
                .get_or_init(|| crate::bundle::places_dir(self.dir, self.target));
            let path = crate::bundle::fold_path(&places.join(&*w.loc.file));
            let path = path.strip_prefix(".").unwrap_or(&path);
            Some(path.display().to_string())
        };
        Annotation {
            level: Some(Level::Warning),
            // A place outside any file (`--var`, the environment) stays in the text.
            message: if file.is_none() {
                w.to_string()
            } else {
                w.text()
            },
            file,
            line: place(w.loc.line),
            col: place(w.loc.column),
            ..Annotation::default()
        }
    }
}
