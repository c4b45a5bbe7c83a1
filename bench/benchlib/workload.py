"""The workload every tool uploads: N notebooks in 20 folders and 20 jobs of 5 notebook tasks."""

import json
import os

FOLDERS = 20
JOBS = 20
TASKS_PER_JOB = 5


def notebook_rel(n):
    """Path of notebook n under src/, without the extension."""
    return f"f{n % FOLDERS:02}/nb_{n:05}"


def notebook_source(n, edit=0):
    return f"# Databricks notebook source\nprint({n}, {edit})\n"


def write_notebooks(root, count):
    """Writes src/fXX/nb_NNNNN.py under root."""
    for f in range(FOLDERS):
        os.makedirs(os.path.join(root, "src", f"f{f:02}"), exist_ok=True)
    for n in range(count):
        with open(os.path.join(root, "src", notebook_rel(n) + ".py"), "w") as fh:
            fh.write(notebook_source(n))


def job_notebooks(job, count):
    """The notebooks job `job` runs (spread over the whole set)."""
    step = max(1, count // (JOBS * TASKS_PER_JOB))
    return [((job * TASKS_PER_JOB + t) * step) % count for t in range(TASKS_PER_JOB)]


def write_bundle(root, count, jobs=JOBS, name="bench"):
    """A databricks.yml syncing src/ and defining the 20 jobs, plus the notebooks."""
    write_notebooks(root, count)
    lines = [f"bundle:\n  name: {name}\n", "resources:\n  jobs:\n"]
    for j in range(jobs):
        lines.append(f"    job_{j:02}:\n      name: bench job {j:02}\n      tasks:\n")
        for t, n in enumerate(job_notebooks(j, count)):
            lines.append(
                f"        - task_key: t{t}\n"
                f"          notebook_task:\n"
                f"            notebook_path: ./src/{notebook_rel(n)}.py\n"
            )
    with open(os.path.join(root, "databricks.yml"), "w") as fh:
        fh.write("".join(lines))


def job_settings(job, count, workspace_root):
    """Jobs API settings of job `job` for tools that upload to workspace_root themselves."""
    return {
        "name": f"bench job {job:02}",
        "tasks": [
            {
                "task_key": f"t{t}",
                "notebook_task": {"notebook_path": f"{workspace_root}/{notebook_rel(n)}"},
            }
            for t, n in enumerate(job_notebooks(job, count))
        ],
    }


def write_job_files(root, count, workspace_root, jobs=JOBS):
    """jobs/job_XX.json for `databricks jobs create --json-file`; returns the paths."""
    os.makedirs(os.path.join(root, "jobs"), exist_ok=True)
    paths = []
    for j in range(jobs):
        path = os.path.join(root, "jobs", f"job_{j:02}.json")
        with open(path, "w") as fh:
            json.dump(job_settings(j, count, workspace_root), fh)
        paths.append(path)
    return paths
