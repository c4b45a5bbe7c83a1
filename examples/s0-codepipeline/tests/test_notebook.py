# Databricks notebook source
# A nutter test notebook, as in the seed: brickci runs it, reads nutter's results from its exit
# value and writes one JUnit case per assertion (CodeBuild shows them through `reports:`).

# COMMAND ----------

# MAGIC %pip install nutter

# COMMAND ----------

from runtime.nutterfixture import NutterFixture


class TestSampleNotebook(NutterFixture):
    def run_add_one(self):
        self.result = dbutils.notebook.run("../src/notebook", 600, {"x": "1"})

    def assertion_add_one(self):
        assert self.result == "2"


result = TestSampleNotebook().execute_tests()
print(result.to_string())
result.exit(dbutils)
