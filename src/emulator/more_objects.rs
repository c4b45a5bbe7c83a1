//! State of the kinds added after the first round of issue 15 (legacy MLflow models, UC
//! external locations, database instances, catalogs and synced tables): kept apart from `KindObjects` so each set of
//! kinds grows in its own file.

use std::collections::BTreeMap;

use serde_json::Value;

use super::state::State;

#[derive(Default)]
pub struct MoreObjects {
    /// Legacy workspace Model Registry models by name.
    pub mlflow_models: BTreeMap<String, Value>,
    /// Unity Catalog external locations by name.
    pub external_locations: BTreeMap<String, Value>,
    /// Database instances by name (fields starting with `_` are the emulator's own).
    pub database_instances: BTreeMap<String, Value>,
    /// Database catalogs by name.
    pub database_catalogs: BTreeMap<String, Value>,
    /// Synced database tables by full name.
    pub synced_tables: BTreeMap<String, Value>,
    /// Unity Catalog secrets by full name.
    pub uc_secrets: BTreeMap<String, Value>,
    /// Genie spaces by id, trashed ones too (see `handlers_genie`).
    pub genie_spaces: BTreeMap<String, Value>,
}

/// Whether the object a permissions call names exists, for these kinds' object types;
/// None for a type this module does not know.
pub fn permission_target_exists(s: &State, kind: &str, id: &str) -> Option<bool> {
    let o = &s.objects.more;
    Some(match kind {
        "registered-models" => o.mlflow_models.values().any(|m| m["id"] == id),
        "database-instances" => o.database_instances.contains_key(id),
        "genie" => super::handlers_genie::exists(s, id),
        _ => return super::postgres_objects::permission_target_exists(s, kind, id),
    })
}
