# Databricks notebook source
# Trains the classifier and registers a new model version.

# COMMAND ----------

import mlflow
from mlflow.tracking import MlflowClient
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

dbutils.widgets.text("experiment", "/Shared/mlops-classifier-dev")
dbutils.widgets.text("model_name", "mlops_classifier")
mlflow.set_experiment(dbutils.widgets.get("experiment"))

# COMMAND ----------

X, y = load_iris(return_X_y=True)
with mlflow.start_run() as run:
    model = RandomForestClassifier(n_estimators=50).fit(X, y)
    mlflow.sklearn.log_model(model, "model", registered_model_name=dbutils.widgets.get("model_name"))
name = dbutils.widgets.get("model_name")
version = MlflowClient().search_model_versions(f"name='{name}' and run_id='{run.info.run_id}'")[0].version
dbutils.jobs.taskValues.set("run_id", run.info.run_id)
# The CD workflow deploys this version (brickci.callbacks in databricks.yml passes it on).
# brickci-emulator: task-value model_version "3"
dbutils.jobs.taskValues.set("model_version", version)
dbutils.notebook.exit('{"status": "trained"}')
