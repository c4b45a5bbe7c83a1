//! `resources.postgres_projects`: Lakebase projects, named `projects/<project_id>`. A new
//! project comes with a default branch (`production`) and its read-write endpoint. The
//! project id and Postgres version cannot change: the project is replaced (with all its
//! branches, databases and endpoints). `purge_on_delete` makes a delete permanent instead
//! of soft. Permissions are the `database-projects` ACL.

use super::lakebase::Lakebase;
use super::{Deployer, KindSpec, Permissions};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;

pub static SPEC: KindSpec = KindSpec {
    name: "postgres_projects",
    terraform: Some("databricks_postgres_project"),
    required: &["project_id"],
    fixed: &["project_id", "pg_version"],
    fixed_reason: "which a Lakebase project cannot change (its id is in its name; the Postgres version is chosen at creation)",
    replace: true,
    computed: &[
        ("name", "/name"),
        ("uid", "/uid"),
        ("default_branch", "/status/default_branch"),
    ],
    listing: None,
    levels: &["CAN_USE", "CAN_MANAGE"],
    top_levels: &[("CAN_VIEW", "CAN_USE")],
    permissions: Permissions::Custom,
    deployer: Deployer::Manager,
    presets,
    api: &API,
};

static API: Lakebase = Lakebase {
    kind: "postgres_projects",
    collection: "projects",
    id_field: "project_id",
    parented: false,
    updatable: true,
    reconciles: false,
    acl_type: Some("database-projects"),
};

/// None: the Databricks CLI applies no development-mode preset to Lakebase projects.
fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}
