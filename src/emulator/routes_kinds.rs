//! Routes of the kinds added with issue 15: catalogs with their own fields, UC grants, SQL
//! warehouses, instance pools, alerts, Lakeview dashboards, apps, vector search endpoints and indexes. Merged into the API
//! router by `server::router`, behind the same gate (log, faults, auth).

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State as AxState};
use axum::http::Method;
use axum::response::Response;
use axum::routing::{get, post};

use super::{
    Shared, handlers_alerts as alerts, handlers_apps as apps, handlers_catalogs as catalogs,
    handlers_dashboards as dash, handlers_grants as grants, handlers_misc as misc,
    handlers_pools as pools, handlers_sql_alerts as sql_alerts, handlers_vector_search as vs,
    handlers_vector_search_indexes as vsi, handlers_warehouses as wh,
};

pub fn routes() -> Router<Shared> {
    Router::new()
        .route(
            "/api/2.1/unity-catalog/catalogs",
            post(catalogs::create).get(catalogs::list),
        )
        .route(
            "/api/2.1/unity-catalog/catalogs/{name}",
            get(catalogs::get)
                .patch(catalogs::update)
                .delete(catalogs::delete),
        )
        .route(
            "/api/2.1/unity-catalog/permissions/{kind}/{name}",
            get(grants::get).patch(grants::update),
        )
        .route("/api/2.0/sql/warehouses", post(wh::create).get(wh::list))
        .route(
            "/api/2.0/sql/warehouses/{id}",
            get(wh::get).delete(wh::delete),
        )
        .route("/api/2.0/sql/warehouses/{id}/edit", post(wh::edit))
        .route("/api/2.0/sql/warehouses/{id}/{action}", post(wh::action))
        .route(
            "/api/2.0/permissions/sql/warehouses/{id}",
            get(warehouse_permissions).put(warehouse_permissions),
        )
        .route("/api/2.0/instance-pools/create", post(pools::create))
        .route("/api/2.0/instance-pools/edit", post(pools::edit))
        .route("/api/2.0/instance-pools/delete", post(pools::delete))
        .route("/api/2.0/instance-pools/get", get(pools::get))
        .route("/api/2.0/instance-pools/list", get(pools::list))
        .route("/api/2.0/alerts", post(alerts::create).get(alerts::list))
        .route(
            "/api/2.0/alerts/{id}",
            get(alerts::get).patch(alerts::update).delete(alerts::trash),
        )
        .route(
            "/api/2.0/sql/alerts",
            post(sql_alerts::create).get(sql_alerts::list),
        )
        .route(
            "/api/2.0/sql/alerts/{id}",
            get(sql_alerts::get)
                .patch(sql_alerts::update)
                .delete(sql_alerts::trash),
        )
        .route(
            "/api/2.0/lakeview/dashboards",
            post(dash::create).get(dash::list),
        )
        .route(
            "/api/2.0/lakeview/dashboards/{id}",
            get(dash::get).patch(dash::update).delete(dash::trash),
        )
        .route(
            "/api/2.0/lakeview/dashboards/{id}/published",
            get(dash::get_published)
                .post(dash::publish)
                .delete(dash::unpublish),
        )
        .route("/api/2.0/apps", post(apps::create).get(apps::list))
        .route(
            "/api/2.0/apps/{name}",
            get(apps::get).patch(apps::update).delete(apps::delete),
        )
        .route(
            "/api/2.0/apps/{name}/deployments",
            post(apps::deploy).get(apps::list_deployments),
        )
        .route(
            "/api/2.0/apps/{name}/deployments/{id}",
            get(apps::get_deployment),
        )
        .route(
            "/api/2.0/apps/{name}/update",
            get(apps::get_update).post(apps::action_update),
        )
        .route("/api/2.0/apps/{name}/{action}", post(apps::action))
        .route(
            "/api/2.0/vector-search/endpoints",
            post(vs::create).get(vs::list),
        )
        .route(
            "/api/2.0/vector-search/endpoints/{name}",
            get(vs::get).patch(vs::patch).delete(vs::delete),
        )
        .route(
            "/api/2.0/vector-search/endpoints/{name}/{what}",
            post(vs::sub).patch(vs::sub),
        )
        .route(
            "/api/2.0/vector-search/indexes",
            post(vsi::create).get(vsi::list),
        )
        .route(
            "/api/2.0/vector-search/indexes/{name}",
            get(vsi::get).delete(vsi::delete),
        )
        .route(
            "/api/2.0/vector-search/indexes/{name}/sync",
            post(vsi::sync),
        )
}

/// The CLI names warehouses `/sql/warehouses/{id}` in the permissions API; the SDK's
/// warehouse client uses `/warehouses/{id}`. Both reach the same access list.
async fn warehouse_permissions(
    state: AxState<Shared>,
    method: Method,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    misc::permissions(state, method, Path(("warehouses".into(), id)), body).await
}
