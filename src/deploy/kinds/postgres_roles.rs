//! `resources.postgres_roles`: Postgres roles of a Lakebase branch, named
//! `<parent>/roles/<role_id>` (the service picks the id when `role_id` is left out). Only
//! attributes and membership roles update in place; the parent, id, Postgres role name,
//! auth method and identity type replace the role.

use super::lakebase::Lakebase;
use super::{Deployer, KindSpec, Permissions};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;

pub static SPEC: KindSpec = KindSpec {
    name: "postgres_roles",
    terraform: Some("databricks_postgres_role"),
    required: &["parent"],
    fixed: &[
        "parent",
        "role_id",
        "postgres_role",
        "auth_method",
        "identity_type",
    ],
    fixed_reason: "which a Lakebase role cannot change (the API updates only its attributes and membership roles)",
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
    kind: "postgres_roles",
    collection: "roles",
    id_field: "role_id",
    parented: true,
    updatable: true,
    reconciles: false,
    acl_type: None,
};

/// None: the Databricks CLI applies no development-mode preset to Lakebase roles.
fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}
