#!/bin/bash
# Cluster init script: the libraries every monoline cluster needs.
set -euo pipefail
/databricks/python/bin/pip install --quiet pyyaml==6.0.2
