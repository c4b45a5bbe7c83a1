# Databricks notebook source
# Cleans bronze into silver and aggregates gold, with the helpers from the sales_etl wheel.

# COMMAND ----------

from sales_etl import clean_amount

dbutils.widgets.text("catalog", "sales_dev")
catalog = dbutils.widgets.get("catalog")

# COMMAND ----------

clean = spark.udf.register("clean_amount", clean_amount, "double")
spark.sql(f"CREATE OR REPLACE TABLE {catalog}.silver.sales AS SELECT region, clean_amount(amount) AS amount FROM {catalog}.bronze.sales")
spark.sql(f"CREATE OR REPLACE TABLE {catalog}.gold.sales_by_region AS SELECT region, sum(amount) AS total FROM {catalog}.silver.sales GROUP BY region")
dbutils.notebook.exit('{"status": "ok"}')
