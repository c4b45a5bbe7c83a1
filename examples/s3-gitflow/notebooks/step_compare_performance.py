# Databricks notebook source
# Compares the CI experiment with every earlier run of the branch and tags it; the tag and this
# notebook's exit value tell the reviewer whether the pull request improves the model.

# COMMAND ----------

import json

import mlflow

dbutils.widgets.text("experiment", "/Shared/iris-gitflow/ci")
runs = mlflow.search_runs(experiment_names=[dbutils.widgets.get("experiment")], order_by=["start_time DESC"])
latest, best_before = runs.iloc[0], runs.iloc[1:]["metrics.accuracy"].max()
verdict = "better" if runs.empty or latest["metrics.accuracy"] >= (best_before or 0) else "worse"
mlflow.MlflowClient().set_tag(latest["run_id"], "validation", verdict)
dbutils.notebook.exit(json.dumps({"verdict": verdict}))
