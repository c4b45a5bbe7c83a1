//! `resources.schemas`: Unity Catalog schemas, prefixed in development mode unless
//! `experimental.skip_name_prefix_for_schema`.

use super::{Deployer, KindSpec, Permissions, uc::Securable};
use crate::bundle::presets::{self as p, PresetCtx};
use crate::bundle::yaml::Node;

pub static SPEC: KindSpec = KindSpec {
    name: "schemas",
    terraform: Some("databricks_schema"),
    required: &["name", "catalog_name"],
    fixed: &["catalog_name", "storage_root"],
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
        path_kind: "schemas",
    },
};

fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    if !ctx.skip_schema_prefix {
        p::prefix(settings, "name", ctx.uc_prefix);
    }
}
