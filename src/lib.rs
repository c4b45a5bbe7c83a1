//! brickci: the Databricks part of a CI/CD pipeline.
