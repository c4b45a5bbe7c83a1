# Databricks notebook source
# Starts the model CD workflow on GitHub once training and validation succeeded (the seed kept
# a GitHub PAT in Databricks for this). The token is read from a secret scope here and given
# to brickci through its environment: it never appears in a job parameter or the run's output.

# COMMAND ----------

import os
import subprocess

env = dict(os.environ, GITHUB_TOKEN=dbutils.secrets.get("mlops-cicd", "github-token"))
subprocess.run(
    ["brickci", "trigger", "github", "--repo", "example-org/mlops-classifier",
     "--workflow", "deploy-model.yml", "--ref", "main", "--input", "model_version=latest"],
    env=env,
    check=True,
)
