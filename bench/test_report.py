"""Tests of the harness's arithmetic and tables (no process is started, nothing is timed):
python3 -m unittest discover -s bench"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from benchlib import report, svg, waiting, workload  # noqa: E402


def results(brickci_seconds=4.0, noop=3, change=1, rate_rows=None):
    return {
        "jobs": 20, "latency_ms": 50, "concurrency": 16, "target_size": 1000, "cold_runs": 20,
        "upload": {"1000": {
            "legacy": {"seconds": 100.0, "requests": 1041},
            "sdk": {"seconds": 40.0, "requests": 1041},
            "brickci": {"seconds": brickci_seconds, "requests": 1024, "max_rss_kib": 30000},
        }},
        "redeploy": {"1000": {
            "noop": {"seconds": 0.3, "requests": noop, "writes": 0, "calls": ["GET /a"]},
            "one_change": {"seconds": 0.3, "requests": change, "writes": change, "calls": ["POST /x|y"]},
        }},
        "rss_size": 10000, "rss_kib": 70 * 1024,
        "rate": {"rows": rate_rows, "note": None if rate_rows else "not measured (no rate-limit support in this build)"},
        "cold": {"brickci --version": 0.004},
        "binary_bytes": 14_000_000, "image_note": "skipped",
        "wait": {"first": 1.0, "longest": 20.0, "schedule_head": [0, 1, 3], "polls_first_hour": 184,
                 "worst_delay": 20.0, "runs": [{"run_seconds": 3600, "speed": 60.0, "end_to_exit": 4.0,
                                                "polls": 184, "waited": 3610, "polls_per_hour": 183.5}]},
        "meta": {"date": "d", "mode": "full", "version": "0.1.0", "build": "b", "cpus": 2, "seconds": 1},
    }


def verdicts(r):
    return {row[0]: (row[1], row[2]) for row in report.summary(r)}


class Summary(unittest.TestCase):
    def test_ratios_and_floor_against_targets(self):
        v = verdicts(results(brickci_seconds=4.0))
        self.assertEqual(v["upload 1,000: ≥ 20× the legacy CLI"], ("25.0×", "met"))
        self.assertEqual(v["upload 1,000: ≥ 5× the SDK loop"], ("10.0×", "met"))
        # floor = 1024 / 16 × 0.05 = 3.2 s; 4.0 / 3.2 = 1.25
        self.assertEqual(v["upload 1,000: ≤ 1.5× the floor"], ("1.2×", "met"))
        v = verdicts(results(brickci_seconds=10.0))
        self.assertEqual(v["upload 1,000: ≥ 20× the legacy CLI"], ("10.0×", "**not met**"))
        self.assertEqual(v["upload 1,000: ≤ 1.5× the floor"], ("3.1×", "**not met**"))

    def test_redeploys_rss_binary_and_waiting(self):
        v = verdicts(results(noop=11, change=2))
        self.assertEqual(v["no-op redeploy 1,000 files: ≤ 10 requests"], (11, "**not met**"))
        self.assertEqual(v["one changed file, 1,000 files: 1 request"], (2, "**not met**"))
        self.assertEqual(v["peak RSS, deploy of 10,000 files: ≤ 64 MB"], ("70.0 MiB", "**not met**"))
        self.assertEqual(v["binary size: ≤ 15 MB"][1], "met")
        # The schedule's worst case (20 s) decides, not the lucky measured 4 s.
        self.assertEqual(v["run's end to exit: ≤ 10 s"][1], "**not met**")
        self.assertEqual(v["polls per waited hour: ≤ 400"][1], "met")

    def test_rate_limit_rows_or_the_note(self):
        v = verdicts(results())
        self.assertIn("not measured (no rate-limit support in this build)", v["rate limits: ≥ 80% of 5 and 50 rps"][0])
        rows = [{"limit_rps": 5, "requests": 100, "seconds": 25.0, "fraction": 0.8},
                {"limit_rps": 50, "requests": 1000, "seconds": 40.0, "fraction": 0.5}]
        v = verdicts(results(rate_rows=rows))
        self.assertEqual(v["5 rps limit: ≥ 80% of it"], ("80%", "met"))
        self.assertEqual(v["50 rps limit: ≥ 80% of it"], ("50%", "**not met**"))
        md = report.markdown(results(rate_rows=rows))
        self.assertIn("| 50 | 1000 | 40.0 | 50% |", md)


class Tables(unittest.TestCase):
    def test_cells_with_pipes_stay_in_their_column(self):
        self.assertEqual(report.table(["a", "b"], [["x|y", 1]]), "| a | b |\n|---|---|\n| x\\|y | 1 |")

    def test_upload_row(self):
        row = report.upload_rows(results())[0]
        self.assertEqual(row, ["1,000 + 20 jobs", "100.0 s (1,041)", "40.0 s (1,041)", "4.00 s (1,024)",
                               "25.0×", "10.0×", "3.20 s", "1.2×"])

    def test_svg_has_a_bar_per_tool_and_the_floor(self):
        out = svg.upload_svg(results())
        self.assertTrue(out.startswith("<svg"))
        self.assertEqual(out.count("<title>"), 4)
        self.assertIn("floor: 3.20 s", out)


class Schedule(unittest.TestCase):
    def test_doubling_then_capped(self):
        times = waiting.schedule(1.0, 20.0, horizon=120)
        self.assertEqual(times, [0, 1, 3, 7, 15, 31, 51, 71, 91, 111])
        # 0..31 s in 6 polls, then one every 20 s up to 3600 s
        self.assertEqual(len(waiting.schedule(1.0, 20.0)), 6 + (3600 - 31) // 20)


class Workload(unittest.TestCase):
    def test_jobs_point_at_generated_notebooks(self):
        for count in (40, 1000, 5000):
            for j in range(workload.JOBS):
                for n in workload.job_notebooks(j, count):
                    self.assertLess(n, count)
        settings = workload.job_settings(3, 1000, "/Users/u/b")
        self.assertEqual(len(settings["tasks"]), 5)
        self.assertTrue(settings["tasks"][0]["notebook_task"]["notebook_path"].startswith("/Users/u/b/f"))


if __name__ == "__main__":
    unittest.main()


class RateLimitScript(unittest.TestCase):
    """bench/rate_limit.py is run as a subprocess when present; absent, the row says so."""

    def setUp(self):
        import tempfile
        from benchlib import rate
        self.rate, self.saved = rate, rate.SCRIPT
        self.dir = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.rate.SCRIPT = self.saved
        self.dir.cleanup()

    def script(self, body):
        self.rate.SCRIPT = os.path.join(self.dir.name, "rate_limit.py")
        with open(self.rate.SCRIPT, "w") as fh:
            fh.write(body)

    def test_absent(self):
        self.rate.SCRIPT = os.path.join(self.dir.name, "missing.py")
        self.assertEqual(self.rate.measure("brickci", self.dir.name, False),
                         (None, "not measured (no rate-limit support in this build)"))

    def test_rows_from_the_json_it_writes(self):
        self.script("import argparse, json\np = argparse.ArgumentParser()\np.add_argument('--brickci')\n"
                    "p.add_argument('--json')\na = p.parse_args()\n"
                    "json.dump([{'limit_rps': 5, 'requests': 9, 'seconds': 2.0, 'fraction': 0.9}], open(a.json, 'w'))\n")
        rows, note = self.rate.measure("/bin/brickci", self.dir.name, True)  # --quick unknown: rerun without
        self.assertIsNone(note)
        self.assertEqual(rows, [{"limit_rps": 5, "requests": 9, "seconds": 2.0, "fraction": 0.9}])

    def test_a_failing_script_is_reported(self):
        self.script("import sys\nsys.exit('emulator has no --rate-limit')\n")
        rows, note = self.rate.measure("brickci", self.dir.name, False)
        self.assertIsNone(rows)
        self.assertIn("exited 1: emulator has no --rate-limit", note)
