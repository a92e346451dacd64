"""model-files: a non-root model server that reports its model folder.

Started as ``serve.py serve``; runs as uid 1000. At start it reads every file under the
model directory ($SM_MODEL_DIR, else /opt/ml/model), as a serving stack that loads every
file there does. A file or folder it cannot read is printed to its log at once
("model-files: cannot load the model: ... Permission denied"), and /ping then answers
500 with that text, for as long as it runs.

- GET /ping            200 once every file was read; else 500 and the reason
- POST /invocations    JSON: {"uid": ..., "files": {relative path: its text}}, one line
- anything else        404
"""

import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def load(model_dir):
    """{relative path: text} of every file under model_dir (raises OSError)."""
    files = {}
    for root, dirs, names in os.walk(model_dir, onerror=_raise):
        dirs.sort()
        for name in sorted(names):
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                files[os.path.relpath(path, model_dir)] = f.read().decode("utf-8", "replace")
    if not os.access(model_dir, os.R_OK | os.X_OK):
        raise PermissionError(13, "Permission denied", model_dir)
    return files


def _raise(error):
    raise error


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    files = None
    problem = ""

    def _answer(self, status, body=b"", content_type="application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/ping":
            if self.files is None:
                self._answer(500, self.problem.encode(), "text/plain")
            else:
                self._answer(200)
        else:
            self._answer(404, b"not found\n", "text/plain")

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/invocations":
            report = {"uid": os.getuid(), "files": self.files}
            self._answer(200, json.dumps(report, sort_keys=True).encode() + b"\n")
        else:
            self._answer(404, b"not found\n", "text/plain")

    def log_message(self, format, *args):
        pass


def main(argv):
    model_dir = os.environ.get("SM_MODEL_DIR", "/opt/ml/model")
    try:
        Handler.files = load(model_dir)
    except OSError as exc:
        Handler.problem = f"model-files: cannot load the model: {exc}"
        print(Handler.problem, file=sys.stderr, flush=True)
    host = os.environ.get("BTE_BIND_HOST", "0.0.0.0")
    port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
    server = ThreadingHTTPServer((host, port), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"model-files: uid {os.getuid()}, listening on {host}:{port}, model dir {model_dir}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
