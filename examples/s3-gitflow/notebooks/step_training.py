# Databricks notebook source
# Trains the random forest and logs the "CI experiment" to MLflow: the model and its accuracy on
# a validation split, the metric `brickci gate` compares with the branch's earlier runs.

# COMMAND ----------

import mlflow
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split

dbutils.widgets.text("experiment", "/Shared/iris-gitflow/ci")
mlflow.set_experiment(dbutils.widgets.get("experiment"))
train = spark.table("main.iris.train").toPandas()
fit, val = train_test_split(train, test_size=0.2, random_state=7)
with mlflow.start_run(run_name="ci"):
    model = RandomForestClassifier(n_estimators=100).fit(fit.drop(columns="target"), fit["target"])
    mlflow.log_metric("accuracy", model.score(val.drop(columns="target"), val["target"]))
    mlflow.sklearn.log_model(model, "model")
dbutils.notebook.exit('{"status": "trained"}')
