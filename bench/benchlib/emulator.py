"""A `brickci emulator` process on its own loopback address, port 80.

The legacy CLI drops the port from the host, so every tool talks to http://127.0.0.N (port
80) and each emulator gets a fresh address: no state or log is shared between measurements.
"""

import itertools
import json
import os
import subprocess
import time
import urllib.request

TOKEN = "dapi-emulator-token"
_next_host = itertools.count(20)


class Emulator:
    def __init__(self, brickci, workdir, latency_ms=None, clock_speed=None, extra=()):
        self.ip = f"127.0.0.{next(_next_host)}"
        self.url = f"http://{self.ip}"
        args = [brickci, "emulator", "--host-ip", self.ip, "--port", "80"]
        if latency_ms:
            args += ["--fault", f"*=latency:{latency_ms}"]
        if clock_speed:
            args += ["--clock-speed", str(clock_speed)]
        args += list(extra)
        self._log = open(os.path.join(workdir, f"emulator-{self.ip}.log"), "wb")
        self.proc = subprocess.Popen(
            args, stdout=self._log, stderr=subprocess.STDOUT, env=clean_env()
        )
        self._wait_ready()

    def _wait_ready(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"emulator on {self.ip}:80 exited {self.proc.returncode}; see {self._log.name}")
            try:
                self.requests()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"emulator on {self.ip}:80 did not answer within 30 s")

    def _admin(self, method, path):
        req = urllib.request.Request(self.url + path, method=method)
        with urllib.request.urlopen(req, timeout=60) as r:
            body = r.read()
        return json.loads(body) if body else None

    def requests(self):
        """The API request log: dicts with method, path, status, real time in ms, ..."""
        return self._admin("GET", "/__emulator/requests")["requests"]

    def clear_requests(self):
        self._admin("DELETE", "/__emulator/requests")

    def api_get(self, path):
        req = urllib.request.Request(self.url + path, headers={"Authorization": f"Bearer {TOKEN}"})
        with urllib.request.urlopen(req, timeout=60) as r:
            return json.loads(r.read())

    def env(self, home):
        """Environment for a client of this emulator: its host and token, nothing else."""
        env = clean_env()
        env.update(HOME=home, DATABRICKS_HOST=self.url, DATABRICKS_TOKEN=TOKEN)
        return env

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def clean_env():
    """PATH and locale only, plus what keeps every client on this machine: no CI variables,
    no credentials from the caller, no cloud metadata lookups."""
    env = {k: os.environ[k] for k in ("PATH", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.0/8,localhost"
    return env
