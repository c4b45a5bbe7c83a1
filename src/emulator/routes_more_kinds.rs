//! Routes of issue 15's later kinds (legacy MLflow models, external locations, database
//! instances, catalogs and synced tables, UC secrets). Merged into the API router by `server::router`,
//! behind the same gate (log, faults, auth).

use axum::Router;
use axum::routing::{any, get, post};

use super::{
    Shared, handlers_database_catalogs as dbcat, handlers_database_instances as db,
    handlers_external_locations as locations, handlers_mlflow_models as models,
    handlers_postgres as postgres, handlers_synced_tables as synced,
    handlers_uc_secrets as secrets,
};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/2.0/mlflow/registered-models/{op}", any(models::op))
        .route(
            "/api/2.0/mlflow/databricks/registered-models/get",
            get(models::get_databricks),
        )
        .route(
            "/api/2.1/unity-catalog/external-locations",
            post(locations::create).get(locations::list),
        )
        .route(
            "/api/2.1/unity-catalog/external-locations/{name}",
            get(locations::get)
                .patch(locations::update)
                .delete(locations::delete),
        )
        .route(
            "/api/2.0/database/instances",
            post(db::create).get(db::list),
        )
        .route(
            "/api/2.0/database/instances/{name}",
            get(db::get).patch(db::update).delete(db::delete),
        )
        .route("/api/2.0/database/catalogs", post(dbcat::create))
        .route(
            "/api/2.0/database/catalogs/{name}",
            get(dbcat::get).patch(dbcat::update).delete(dbcat::delete),
        )
        .route("/api/2.0/database/synced_tables", post(synced::create))
        .route(
            "/api/2.0/database/synced_tables/{name}",
            get(synced::get)
                .patch(synced::update)
                .delete(synced::delete),
        )
        .route("/api/2.1/unity-catalog/secrets", post(secrets::create))
        .route(
            "/api/2.1/unity-catalog/secrets/{full_name}",
            get(secrets::get)
                .patch(secrets::update)
                .delete(secrets::delete),
        )
        // Lakebase Postgres: objects are named by paths, so one route takes them all.
        .route("/api/2.0/postgres/{*path}", any(postgres::dispatch))
}
