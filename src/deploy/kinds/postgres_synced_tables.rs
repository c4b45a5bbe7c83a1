//! `resources.postgres_synced_tables`: Unity Catalog tables synced into a Lakebase
//! branch's Postgres database, named `synced_tables/<catalog.schema.table>`. The API has no
//! update for them: any change replaces the table (as the Databricks CLI); the deploy waits
//! for the create's operation, not for the first sync.

use super::lakebase::Lakebase;
use super::{Deployer, KindSpec, Permissions};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;

pub static SPEC: KindSpec = KindSpec {
    name: "postgres_synced_tables",
    terraform: Some("databricks_postgres_synced_table"),
    required: &["synced_table_id"],
    fixed: &[
        "synced_table_id",
        "source_table_full_name",
        "primary_key_columns",
        "scheduling_policy",
        "timeseries_key",
        "branch",
        "postgres_database",
        "create_database_objects_if_missing",
        "existing_pipeline_id",
        "new_pipeline_spec",
        "extra_columns",
        "type_overrides",
        "accelerated_sync",
    ],
    fixed_reason: "which the Postgres API cannot update (it has no update for synced tables)",
    replace: true,
    computed: &[
        ("name", "/name"),
        ("uid", "/uid"),
        ("pipeline_id", "/status/pipeline_id"),
    ],
    listing: None,
    levels: &[],
    top_levels: &[],
    permissions: Permissions::None,
    deployer: Deployer::Manager,
    presets,
    api: &API,
};

static API: Lakebase = Lakebase {
    kind: "postgres_synced_tables",
    collection: "synced_tables",
    id_field: "synced_table_id",
    parented: false,
    updatable: false,
    reconciles: false,
    acl_type: None,
};

/// None: the Databricks CLI applies no development-mode preset to Lakebase synced tables.
fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}
