//! Routes of issue 15's later kinds (legacy MLflow models, external locations). Merged into
//! the API router by `server::router`, behind the same gate (log, faults, auth).

use axum::Router;
use axum::routing::{any, get};

use super::{Shared, handlers_mlflow_models as models};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route("/api/2.0/mlflow/registered-models/{op}", any(models::op))
        .route(
            "/api/2.0/mlflow/databricks/registered-models/get",
            get(models::get_databricks),
        )
}
