//! `resources.postgres_catalogs`: Unity Catalog catalogs over a Lakebase branch's Postgres
//! database, named `catalogs/<catalog_id>`. The API has no update for them: any change
//! replaces the catalog (as the Databricks CLI).

use super::lakebase::Lakebase;
use super::{Deployer, KindSpec, Permissions};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;

pub static SPEC: KindSpec = KindSpec {
    name: "postgres_catalogs",
    terraform: Some("databricks_postgres_catalog"),
    required: &["catalog_id", "postgres_database"],
    fixed: &[
        "catalog_id",
        "postgres_database",
        "branch",
        "create_database_if_missing",
    ],
    fixed_reason: "which the Postgres API cannot update (it has no update for catalogs)",
    replace: true,
    computed: &[("name", "/name"), ("uid", "/uid")],
    listing: None,
    levels: &[],
    top_levels: &[],
    permissions: Permissions::None,
    deployer: Deployer::Manager,
    presets,
    api: &API,
};

static API: Lakebase = Lakebase {
    kind: "postgres_catalogs",
    collection: "catalogs",
    id_field: "catalog_id",
    parented: false,
    updatable: false,
    reconciles: false,
    acl_type: None,
};

/// None: the Databricks CLI applies no development-mode preset to Lakebase catalogs.
fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}
