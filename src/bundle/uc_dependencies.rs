//! A catalog or schema the bundle itself declares, named by its literal name in another
//! resource, becomes a reference to it (`${resources.catalogs.<key>.name}`,
//! `${resources.schemas.<key>.name}`), as the Databricks CLI does. The dependent resource then
//! deploys after the catalog or schema, and follows it when development mode prefixes its
//! name: a volume in schema `raw` lands in `dev_me_raw` with its schema.

use super::yaml::{Kind, Node};

/// `(key, catalog_name, name)` of the bundle's schemas; `(key, name)` of its catalogs.
struct Declared {
    schemas: Vec<(String, String, String)>,
    catalogs: Vec<(String, String)>,
}

impl Declared {
    fn read(resources: &Node) -> Declared {
        let of = |kind: &str| {
            resources
                .get(kind)
                .and_then(Node::entries)
                .unwrap_or_default()
                .iter()
                .map(|(k, n)| (k.name.clone(), n))
                .collect::<Vec<_>>()
        };
        let text = |n: &Node, f: &str| n.get(f).and_then(Node::as_str).map(str::to_string);
        Declared {
            schemas: of("schemas")
                .into_iter()
                .filter_map(|(k, n)| Some((k, text(n, "catalog_name")?, text(n, "name")?)))
                .collect(),
            catalogs: of("catalogs")
                .into_iter()
                .filter_map(|(k, n)| Some((k, text(n, "name")?)))
                .collect(),
        }
    }

    fn schema_ref(&self, catalog: &str, schema: &str) -> Option<String> {
        if catalog.is_empty() || schema.is_empty() {
            return None;
        }
        self.schemas
            .iter()
            .find(|(_, c, s)| c == catalog && s == schema)
            .map(|(k, _, _)| format!("${{resources.schemas.{k}.name}}"))
    }

    fn catalog_ref(&self, catalog: &str) -> Option<String> {
        if catalog.is_empty() {
            return None;
        }
        self.catalogs
            .iter()
            .find(|(_, c)| c == catalog)
            .map(|(k, _)| format!("${{resources.catalogs.{k}.name}}"))
    }

    /// `settings.<catalog>` and `settings.<schema>` (each of `schemas`), schema first: it is
    /// matched by the catalog's literal name.
    fn capture(&self, settings: &mut Node, catalog: &str, schemas: &[&str]) {
        let Some(cat) = settings
            .get(catalog)
            .and_then(Node::as_str)
            .map(str::to_string)
        else {
            return;
        };
        for field in schemas {
            if let Some(node) = settings.get_mut(field)
                && let Kind::Str(s) = &mut node.kind
                && let Some(r) = self.schema_ref(&cat, s)
            {
                *s = r;
            }
        }
        if let Some(r) = self.catalog_ref(&cat)
            && let Some(node) = settings.get_mut(catalog)
        {
            node.kind = Kind::Str(r);
        }
    }
}

fn each<'t>(resources: &'t mut Node, kind: &str) -> impl Iterator<Item = &'t mut Node> {
    let entries = match resources.get_mut(kind).map(|n| &mut n.kind) {
        Some(Kind::Map(entries)) => Some(entries),
        _ => None,
    };
    entries.into_iter().flatten().map(|(_, n)| n)
}

/// Turns literal names of the bundle's own catalogs and schemas into references.
pub fn capture(tree: &mut Node) {
    let Some(resources) = tree.get_mut("resources") else {
        return;
    };
    let declared = Declared::read(resources);
    if declared.schemas.is_empty() && declared.catalogs.is_empty() {
        return;
    }
    for kind in ["volumes", "registered_models"] {
        for r in each(resources, kind) {
            declared.capture(r, "catalog_name", &["schema_name"]);
        }
    }
    for p in each(resources, "pipelines") {
        declared.capture(p, "catalog", &["schema", "target"]);
    }
    for qm in each(resources, "quality_monitors") {
        let Some(node) = qm.get_mut("output_schema_name") else {
            continue;
        };
        if let Kind::Str(s) = &mut node.kind
            && let Some((catalog, schema)) = s.split_once('.')
        {
            let c = declared.catalog_ref(catalog);
            let sc = declared.schema_ref(catalog, schema);
            if c.is_some() || sc.is_some() {
                *s = format!(
                    "{}.{}",
                    c.as_deref().unwrap_or(catalog),
                    sc.as_deref().unwrap_or(schema)
                );
            }
        }
    }
    for e in each(resources, "model_serving_endpoints") {
        for path in [
            &["ai_gateway", "inference_table_config"][..],
            &["config", "auto_capture_config"],
        ] {
            let target = path.iter().try_fold(&mut *e, |n, k| n.get_mut(k));
            if let Some(t) = target {
                declared.capture(t, "catalog_name", &["schema_name"]);
            }
        }
    }
    // Schemas last: the others matched a schema by its catalog's literal name.
    for s in each(resources, "schemas") {
        if let Some(node) = s.get_mut("catalog_name")
            && let Kind::Str(c) = &mut node.kind
            && let Some(r) = declared.catalog_ref(c)
        {
            *c = r;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'n>(n: &'n Node, path: &str) -> Option<&'n str> {
        path.split('.')
            .try_fold(n, |n, k| n.get(k))
            .and_then(Node::as_str)
    }

    #[test]
    fn literal_names_of_declared_catalogs_and_schemas_become_references() {
        let mut t = crate::bundle::yaml::parse(
            std::path::Path::new("databricks.yml"),
            concat!(
                "resources:\n",
                "  catalogs: {cat: {name: main}}\n",
                "  schemas: {raw: {catalog_name: main, name: raw}}\n",
                "  volumes:\n",
                "    v: {catalog_name: main, schema_name: raw, name: v}\n",
                "    other: {catalog_name: hive, schema_name: raw, name: o}\n",
                "  pipelines: {p: {catalog: main, schema: raw}}\n",
                "  quality_monitors: {m: {output_schema_name: main.raw}}\n",
            ),
        )
        .unwrap();
        capture(&mut t);
        let cat = "${resources.catalogs.cat.name}";
        let raw = "${resources.schemas.raw.name}";
        assert_eq!(at(&t, "resources.volumes.v.catalog_name"), Some(cat));
        assert_eq!(at(&t, "resources.volumes.v.schema_name"), Some(raw));
        // Another catalog's schema of the same name is not the bundle's.
        assert_eq!(at(&t, "resources.volumes.other.schema_name"), Some("raw"));
        assert_eq!(at(&t, "resources.volumes.other.catalog_name"), Some("hive"));
        assert_eq!(at(&t, "resources.pipelines.p.schema"), Some(raw));
        assert_eq!(at(&t, "resources.pipelines.p.catalog"), Some(cat));
        assert_eq!(
            at(&t, "resources.quality_monitors.m.output_schema_name"),
            Some(format!("{cat}.{raw}").as_str())
        );
        assert_eq!(at(&t, "resources.schemas.raw.catalog_name"), Some(cat));
    }
}
