# Databricks notebook source
# A small notebook for `brickci demo` and `brickci run --notebook`.
# On a real workspace it computes a row count; on the emulator the exit value below is the output.

# COMMAND ----------

dbutils.widgets.text("env", "dev")
env = dbutils.widgets.get("env")

# COMMAND ----------

rows = spark.range(1000).count()
print(f"{env}: {rows} rows")

# COMMAND ----------

dbutils.notebook.exit('{"status": "ok", "rows": 1000}')
