# Databricks notebook source
# Integration test run by `brickci test` on the staging workspace: the tables the job writes
# exist and hold rows. The report is brickci's small JSON form, one case per check.

# COMMAND ----------

import json

dbutils.widgets.text("catalog", "sales_staging")
catalog = dbutils.widgets.get("catalog")

# COMMAND ----------

results = []
for table in ("bronze.sales", "silver.sales", "gold.sales_by_region"):
    try:
        rows = spark.table(f"{catalog}.{table}").count()
        status = "passed" if rows > 0 else "failed"
        results.append({"name": table, "status": status, "message": f"{rows} rows"})
    except Exception as e:  # a missing table is a failed case, not a crashed run
        results.append({"name": table, "status": "failed", "message": str(e)})
dbutils.notebook.exit(json.dumps({"tests": results}))
