# Databricks notebook source
# Loads the day's raw sales files into <catalog>.bronze.sales.

# COMMAND ----------

dbutils.widgets.text("catalog", "sales_dev")
dbutils.widgets.text("schema", "bronze")
table = f"{dbutils.widgets.get('catalog')}.{dbutils.widgets.get('schema')}.sales"

# COMMAND ----------

df = spark.read.option("header", True).csv("/Volumes/landing/sales/incoming")
df.write.mode("append").saveAsTable(table)
dbutils.notebook.exit('{"table": "bronze.sales", "status": "ok"}')
