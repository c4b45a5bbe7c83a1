//! `resources.registered_models`: Unity Catalog models (`/unity-catalog/models`).

use super::{Deployer, KindSpec, Permissions, uc::Securable};
use crate::bundle::presets::{self as p, PresetCtx};
use crate::bundle::yaml::Node;

pub static SPEC: KindSpec = KindSpec {
    name: "registered_models",
    terraform: Some("databricks_registered_model"),
    required: &["name", "catalog_name", "schema_name"],
    fixed: &["catalog_name", "schema_name", "storage_location"],
    fixed_reason: "which Unity Catalog cannot change in place",
    replace: false,
    computed: &[],
    listing: None,
    levels: &[],
    top_levels: &[],
    permissions: Permissions::None,
    deployer: Deployer::Manager,
    presets,
    api: &Securable {
        path_kind: "models",
    },
};

fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    p::prefix(settings, "name", ctx.uc_prefix);
}
