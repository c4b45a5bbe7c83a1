//! Databricks Asset Bundles (`databricks.yml`). For now: where a target is deployed and
//! which jobs its deployment state records, so `brickci run -t T KEY` runs a deployed job by
//! its key. Loading and deploying whole bundles comes with `brickci deploy`.

mod location;
mod state;

pub use location::{BundleError, Location, locate};
pub use state::deployed_job_ids;
