"""Drives the emulator's MLflow and Unity Catalog model-version surface with the official
Databricks SDK for Python: what `brickci gate` reads (experiments by name, runs get and search
with filter, order and pagination, metric history, model versions, aliases) and what seeds it
(create run, log metric and batch, set tag, update run, register a version, set an alias).
Exits non-zero with the failing check when the SDK rejects an answer or maps an error wrongly.
"""

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import InvalidParameterValue, NotFound, ResourceDoesNotExist
from databricks.sdk.service import ml


def expect(error, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except error:
        return
    raise AssertionError(f"{fn.__qualname__}{args} did not raise {error.__name__}")


def main() -> None:
    w = WorkspaceClient()
    exp_id = w.experiments.create_experiment(name="/Shared/sdk-gate").experiment_id
    assert w.experiments.get_by_name("/Shared/sdk-gate").experiment.experiment_id == exp_id
    expect(ResourceDoesNotExist, w.experiments.get_by_name, "/Shared/none")

    # Seed: five runs, val_auc rising with start time; the last one still running.
    ids = []
    for n in range(5):
        run = w.experiments.create_run(
            experiment_id=exp_id, run_name=f"train-{n}", start_time=1000 + n,
            tags=[ml.RunTag(key="team", value="churn")],
        ).run
        assert run.info.status == ml.RunInfoStatus.RUNNING, run.info
        rid = run.info.run_id
        ids.append(rid)
        w.experiments.log_batch(
            run_id=rid,
            metrics=[ml.Metric(key="val_auc", value=0.5 + n / 10, timestamp=1000 + n, step=1)],
            params=[ml.Param(key="lr", value="0.1")],
        )
        w.experiments.log_metric(key="loss", value=1.0, timestamp=1, run_id=rid, step=0)
        w.experiments.log_metric(key="loss", value=0.5, timestamp=2, run_id=rid, step=1)
        w.experiments.set_tag(key="stage", value=f"s{n}", run_id=rid)
        if n < 4:
            w.experiments.update_run(run_id=rid, status=ml.UpdateRunStatus.FINISHED, end_time=2000 + n)

    got = w.experiments.get_run(ids[2]).run
    assert got.info.status == ml.RunInfoStatus.FINISHED and got.info.end_time == 2002, got.info
    metrics = {m.key: m.value for m in got.data.metrics}
    assert metrics == {"val_auc": 0.7, "loss": 0.5}, metrics
    assert {t.key: t.value for t in got.data.tags} == {"team": "churn", "stage": "s2"}
    assert [p.key for p in got.data.params] == ["lr"]
    expect(ResourceDoesNotExist, w.experiments.get_run, "0" * 32)
    expect(NotFound, w.experiments.log_metric, key="x", value=1.0, timestamp=1, run_id="0" * 32)

    history = list(w.experiments.get_history(metric_key="loss", run_id=ids[0], max_results=1))
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 0.5)], history

    # Search: newest first by default, pages of two followed by the SDK.
    runs = list(w.experiments.search_runs(experiment_ids=[exp_id], max_results=2))
    assert [r.info.run_id for r in runs] == ids[::-1], runs
    finished = list(w.experiments.search_runs(
        experiment_ids=[exp_id], filter="attributes.status = 'FINISHED' and metrics.val_auc >= 0.6",
        order_by=["metrics.val_auc ASC"], max_results=1,
    ))
    assert [r.info.run_id for r in finished] == ids[1:4], finished
    tagged = list(w.experiments.search_runs(experiment_ids=[exp_id], filter="tags.stage = 's3'"))
    assert [r.info.run_id for r in tagged] == [ids[3]]
    expect(InvalidParameterValue, lambda: list(w.experiments.search_runs(experiment_ids=[exp_id], filter="nonsense")))

    # Unity Catalog: a model, two versions (registered the way MLflow clients do), an alias.
    w.schemas.create(name="ml", catalog_name="main")
    w.registered_models.create(catalog_name="main", schema_name="ml", name="churn")
    full = "main.ml.churn"
    for rid in ids[2:4]:
        w.api_client.do("POST", "/api/2.0/mlflow/unity-catalog/model-versions/create",
                        body={"name": full, "source": f"dbfs:/m/{rid}", "run_id": rid})
    expect(NotFound, w.model_versions.get_by_alias, full, "champion")
    alias = w.registered_models.set_alias(full, "champion", 1)
    assert alias.alias_name == "champion" and alias.version_num == 1, alias
    champ = w.model_versions.get_by_alias(full, "champion")
    assert champ.version == 1 and champ.run_id == ids[2], champ
    assert [a.alias_name for a in champ.aliases] == ["champion"], champ.aliases
    v2 = w.model_versions.get(full, 2)
    assert v2.run_id == ids[3] and v2.model_name == "churn" and v2.catalog_name == "main", v2
    expect(NotFound, w.model_versions.get, full, 9)
    assert [v.version for v in w.model_versions.list(full, max_results=1)] == [1, 2]
    expect(NotFound, lambda: list(w.model_versions.list("main.ml.none")))
    w.registered_models.delete_alias(full, "champion")
    expect(NotFound, w.model_versions.get_by_alias, full, "champion")

    print("sdk mlflow-surface checks passed")


if __name__ == "__main__":
    main()
