//! Databricks Asset Bundles (`databricks.yml`): loading, targets, variables, interpolation
//! and validation into one resolved [`Bundle`]; `location` and `state` are the light path
//! `brickci run -t T KEY` uses to find a deployed job.

mod alert_files;
mod api_rules;
mod app_source;
mod artifacts;
mod cli_warnings;
mod error;
mod git;
mod immutable_folder;
mod include_locations;
mod interpolate;
mod job_fields;
#[rustfmt::skip]
mod job_fields_generated;
pub(crate) mod known_fields;
mod load;
pub mod local_file;
mod location;
mod merge;
mod model;
mod modes;
pub mod paths;
mod permissions;
pub mod pr_overlay;
pub(crate) mod presets;
mod python;
mod resources;
mod settings_checks;
mod state;
mod sync_root;
mod target;
#[cfg(test)]
mod traversal_props;
mod uc_dependencies;
mod unsupported;
mod validate_json;
mod variables;
mod wheel_compute;
mod workspace_prefix;
mod written_references;
pub mod yaml;

pub use error::{ConfigError, Diagnostics, Severity};
pub use include_locations::render as include_locations;
pub use interpolate::{find as find_setting, is_deferred, references};
pub use location::{BundleError, Location, locate, target_names};
pub use model::{
    Artifact, Bundle, Identity, LoadOptions, LookupRequest, Prepared, Resource, Workspace, prepare,
};
pub use permissions::merged as merged_permissions;
pub use state::{Deployed, deployed};
pub use sync_root::{fold as fold_path, places_dir};
pub use validate_json::render as validate_json;
pub use variables::Variable;
pub use wheel_compute::{
    ClusterById, by_id as wheel_clusters_by_id, check_by_id as check_wheel_clusters,
};
#[cfg(test)]
mod artifacts_paths_tests;
#[cfg(test)]
mod cli_semantics_tests;
#[cfg(test)]
mod tests;
