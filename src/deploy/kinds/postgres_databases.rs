//! `resources.postgres_databases`: Postgres databases of a Lakebase branch, named
//! `<parent>/databases/<database_id>`, each owned by a role (`role`, a role's name, often
//! `${resources.postgres_roles.<key>.id}`). The Postgres name and the owner update in
//! place; the parent and id replace the database.

use super::lakebase::Lakebase;
use super::{Deployer, KindSpec, Permissions};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;

pub static SPEC: KindSpec = KindSpec {
    name: "postgres_databases",
    terraform: Some("databricks_postgres_database"),
    required: &["parent", "database_id", "role"],
    fixed: &["parent", "database_id"],
    fixed_reason: "which a Lakebase database cannot change (they are its name)",
    replace: true,
    computed: &[("name", "/name")],
    listing: None,
    levels: &[],
    top_levels: &[],
    permissions: Permissions::None,
    deployer: Deployer::Manager,
    presets,
    api: &API,
};

static API: Lakebase = Lakebase {
    kind: "postgres_databases",
    collection: "databases",
    id_field: "database_id",
    parented: true,
    updatable: true,
    reconciles: false,
    acl_type: None,
};

/// None: the Databricks CLI applies no development-mode preset to Lakebase databases.
fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}
