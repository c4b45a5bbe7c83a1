# Databricks notebook source
# Scores the day's data with the production model.

# COMMAND ----------

import mlflow

dbutils.widgets.text("model_name", "mlops_classifier")
model = mlflow.pyfunc.spark_udf(spark, f"models:/{dbutils.widgets.get('model_name')}/Production")
spark.table("main.mlops.features").withColumn("prediction", model()).write.mode("overwrite").saveAsTable("main.mlops.predictions")
dbutils.notebook.exit('{"status": "scored"}')
