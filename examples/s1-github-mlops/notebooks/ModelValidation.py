# Databricks notebook source
# Checks the new model version before CD may deploy it.

# COMMAND ----------

import mlflow

run_id = dbutils.jobs.taskValues.get("train", "run_id", debugValue="")
accuracy = mlflow.get_run(run_id).data.metrics.get("training_accuracy_score", 0) if run_id else 1.0
assert accuracy >= 0.9, f"accuracy {accuracy} below 0.9"
dbutils.notebook.exit('{"status": "valid"}')
