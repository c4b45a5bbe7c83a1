//! `resources.postgres_branches`: branches of a Lakebase project, named
//! `<parent>/branches/<branch_id>`. A new branch comes with a read-write endpoint.
//! `replace_existing` takes over a branch that is there already (the project's default
//! `production` branch); such a branch is deleted with its project. Its parent, id and
//! source (branch, LSN, time, snapshot) cannot change: the branch is replaced.

use super::lakebase::Lakebase;
use super::{Deployer, KindSpec, Permissions};
use crate::bundle::presets::PresetCtx;
use crate::bundle::yaml::Node;

pub static SPEC: KindSpec = KindSpec {
    name: "postgres_branches",
    terraform: Some("databricks_postgres_branch"),
    required: &["parent", "branch_id"],
    fixed: &[
        "parent",
        "branch_id",
        "source_branch",
        "source_branch_lsn",
        "source_branch_time",
        "source_snapshot",
    ],
    fixed_reason: "which a Lakebase branch cannot change (its parent and id are its name; its source is where its data came from)",
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
    kind: "postgres_branches",
    collection: "branches",
    id_field: "branch_id",
    parented: true,
    updatable: true,
    reconciles: false,
    acl_type: None,
};

/// None: the Databricks CLI applies no development-mode preset to Lakebase branches.
fn presets(_settings: &mut Node, _ctx: &mut PresetCtx) {}
