//! `resources.volumes`: Unity Catalog volumes, MANAGED unless said otherwise, with the
//! computed `volume_path` for references.

use super::{Deployer, KindSpec, Permissions, uc::Securable};
use crate::bundle::Diagnostics;
use crate::bundle::presets::{self as p, PresetCtx};
use crate::bundle::yaml::{Loc, Node};

pub static SPEC: KindSpec = KindSpec {
    name: "volumes",
    terraform: Some("databricks_volume"),
    required: &["name", "catalog_name", "schema_name"],
    fixed: &[
        "catalog_name",
        "schema_name",
        "volume_type",
        "storage_location",
    ],
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
        path_kind: "volumes",
    },
};

fn presets(settings: &mut Node, ctx: &mut PresetCtx) {
    let loc = ctx.loc.clone();
    p::default(settings, "volume_type", p::text("MANAGED", &loc));
    volume_path(settings, ctx.key, &loc, ctx.diags);
}

/// `volume_path` (`/Volumes/<catalog>/<schema>/<name>`), computed as the CLI computes it so
/// `${resources.volumes.<key>.volume_path}` works; read-only, and never sent to the API.
fn volume_path(settings: &mut Node, key_name: &str, loc: &Loc, diags: &mut Diagnostics) {
    if let Some(given) = settings.get("volume_path") {
        diags.push(
            &given.loc,
            format!("resources.volumes.{key_name}.volume_path"),
            "is computed and read-only; remove it from the configuration",
        );
        return;
    }
    // A part not set is empty, as the CLI prints it (`/Volumes///`); a deploy refuses the
    // volume for the missing field.
    let part = |field: &str| {
        if settings.get(field).is_some() {
            format!("${{resources.volumes.{key_name}.{field}}}")
        } else {
            String::new()
        }
    };
    let path = format!(
        "/Volumes/{}/{}/{}",
        part("catalog_name"),
        part("schema_name"),
        part("name")
    );
    settings.insert(p::key("volume_path", loc), p::text(&path, loc));
}
