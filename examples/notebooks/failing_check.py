# Databricks notebook source
# A notebook that fails, to see how brickci shows an error and its trace.
# brickci-emulator: fail "AssertionError: expected 1000 rows, found 998"

# COMMAND ----------

rows = spark.table("main.sales.orders").count()
assert rows == 1000, f"expected 1000 rows, found {rows}"
