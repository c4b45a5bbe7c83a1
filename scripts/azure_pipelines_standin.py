"""A local stand-in for the Azure Pipelines REST calls `brickci trigger azure-devops` makes
(api-version 7.1): Pipelines - List, Runs - Run Pipeline and Runs - Get, for one project
holding the pipelines named on the command line. A queued run is inProgress on its first
Runs - Get and completed (succeeded) on the next. Every request is appended to LOG as one JSON
line (method, path, query, authorization, body), so the caller can check what was sent.

Usage: python azure_pipelines_standin.py PORT_FILE LOG PROJECT ID=NAME...
Prints nothing; writes the port it listens on (127.0.0.1) to PORT_FILE."""
import http.server
import json
import os
import sys
import urllib.parse

PORT_FILE, LOG, PROJECT = sys.argv[1:4]
PIPELINES = {int(i): n for i, n in (a.split("=", 1) for a in sys.argv[4:])}
RUNS = {}  # run id -> times Runs - Get has seen it


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, doc):
        body = json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def record(self, body):
        url = urllib.parse.urlsplit(self.path)
        with open(LOG, "a") as f:
            entry = {
                "method": self.command,
                "path": urllib.parse.unquote(url.path),
                "query": dict(urllib.parse.parse_qsl(url.query)),
                "authorization": self.headers.get("Authorization"),
                "body": body,
            }
            f.write(json.dumps(entry) + "\n")
        return entry

    def route(self, body):
        req = self.record(body)
        if req["query"].get("api-version") != "7.1":
            return self.answer(400, {"message": "api-version 7.1 expected"})
        if not (req["authorization"] or "").startswith(("Bearer ", "Basic ")):
            return self.answer(401, {"message": "no credentials"})
        parts = req["path"].strip("/").split("/")
        # /{org}/{project}/_apis/pipelines[/{id}/runs[/{run}]]
        if len(parts) < 4 or parts[1] != PROJECT or parts[2:4] != ["_apis", "pipelines"]:
            return self.answer(404, {"message": f"no such resource {req['path']}"})
        rest = parts[4:]
        if not rest and self.command == "GET":
            value = [{"id": i, "name": n, "folder": "\\"} for i, n in PIPELINES.items()]
            return self.answer(200, {"count": len(value), "value": value})
        if len(rest) >= 2 and rest[1] == "runs" and rest[0].isdigit() and int(rest[0]) in PIPELINES:
            pipeline = int(rest[0])
            if len(rest) == 2 and self.command == "POST":
                run = 100 + len(RUNS) + 1
                RUNS[run] = 0
                return self.answer(200, self.run(pipeline, run, "inProgress"))
            if len(rest) == 3 and self.command == "GET" and int(rest[2]) in RUNS:
                run = int(rest[2])
                RUNS[run] += 1
                done = RUNS[run] > 1
                return self.answer(200, self.run(pipeline, run, "completed" if done else "inProgress"))
        return self.answer(404, {"message": f"no such resource {req['path']}"})

    def run(self, pipeline, run, state):
        base = f"http://127.0.0.1:{self.server.server_port}/org/{PROJECT}"
        doc = {
            "id": run,
            "name": f"2026120{run}.1",
            "state": state,
            "createdDate": "2026-12-03T18:00:00.0000000Z",
            "pipeline": {"id": pipeline, "name": PIPELINES[pipeline]},
            "_links": {"web": {"href": f"{base}/_build/results?buildId={run}"}},
        }
        if state == "completed":
            doc["result"] = "succeeded"
        return doc

    def do_GET(self):
        self.route(None)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            return self.answer(400, {"message": "body is not JSON"})
        self.route(body)


server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_port))
# Written whole, then renamed: the caller never reads half a port.
os.replace(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
