# Databricks notebook source
# Trains the random forest and logs the "CI experiment" to MLflow.

# COMMAND ----------

import mlflow
from sklearn.ensemble import RandomForestClassifier

dbutils.widgets.text("experiment", "/Shared/iris-gitflow/ci")
mlflow.set_experiment(dbutils.widgets.get("experiment"))
train = spark.table("main.iris.train").toPandas()
with mlflow.start_run(run_name="ci"):
    model = RandomForestClassifier(n_estimators=100).fit(train.drop(columns="target"), train["target"])
    mlflow.sklearn.log_model(model, "model")
dbutils.notebook.exit('{"status": "trained"}')
