//! `resources.postgres_endpoints`: compute endpoints of a Lakebase branch, named
//! `<parent>/endpoints/<endpoint_id>`. After its operation an endpoint reconciles; the
//! deploy waits for that too (as the Databricks CLI), and a delete refused while it
//! reconciles is tried again. Its parent, id and type cannot change: it is replaced.

use super::lakebase::Lakebase;
use super::{Deployer, KindSpec, Permissions};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;

pub static SPEC: KindSpec = KindSpec {
    name: "postgres_endpoints",
    terraform: Some("databricks_postgres_endpoint"),
    required: &["parent", "endpoint_id", "endpoint_type"],
    fixed: &["parent", "endpoint_id", "endpoint_type"],
    fixed_reason: "which a Lakebase endpoint cannot change (its parent and id are its name; its type is chosen at creation)",
    replace: true,
    computed: &[
        ("name", "/name"),
        ("uid", "/uid"),
        ("host", "/status/hosts/host"),
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
    kind: "postgres_endpoints",
    collection: "endpoints",
    id_field: "endpoint_id",
    parented: true,
    updatable: true,
    reconciles: true,
    acl_type: None,
};

/// None: the Databricks CLI applies no development-mode preset to Lakebase endpoints.
fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}
