# Databricks notebook source
# The sample job's notebook; `add_one` is what the nutter test checks.

# COMMAND ----------


def add_one(x):
    return x + 1


# COMMAND ----------

dbutils.widgets.text("x", "1")
result = add_one(int(dbutils.widgets.get("x")))
print(f"add_one -> {result}")
dbutils.notebook.exit("2")
