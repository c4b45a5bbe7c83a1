# Databricks notebook source
# Downloads the Iris data set and keeps a fixed train/test split for later comparison.

# COMMAND ----------

from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split

df = load_iris(as_frame=True).frame
train, test = train_test_split(df, test_size=0.3, random_state=42)
spark.createDataFrame(train).write.mode("overwrite").saveAsTable("main.iris.train")
spark.createDataFrame(test).write.mode("overwrite").saveAsTable("main.iris.test")
dbutils.notebook.exit('{"train_rows": 105, "test_rows": 45}')
