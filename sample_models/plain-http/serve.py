"""plain-http: the SageMaker container contract in the standard library, without bte's shim.

Started as ``serve.py serve`` (``docker run IMAGE serve``). Listens on
``$BTE_BIND_HOST:$SAGEMAKER_BIND_TO_PORT`` (default 0.0.0.0:8080).

- GET /ping                 200, empty body
- POST /invocations         the request body, upper-cased (or lower-cased when
                            PLAIN_HTTP_CASE=lower), after the model's prefix: the bytes
                            of prefix.txt in the model directory, if it has one
- anything else             404 (so /execution-parameters falls back to the defaults)

The model directory is $SM_MODEL_DIR, else /opt/ml/model. An unknown PLAIN_HTTP_CASE is
a configuration error: the server exits with status 2 before it listens.
"""

import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CASES = {"upper": bytes.upper, "lower": bytes.lower}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    prefix = b""
    convert = staticmethod(bytes.upper)

    def _answer(self, status, body=b"", content_type="application/octet-stream"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/ping":
            self._answer(200)
        else:
            self._answer(404, b"not found\n", "text/plain")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.path == "/invocations":
            self._answer(200, self.prefix + self.convert(body))
        else:
            self._answer(404, b"not found\n", "text/plain")

    def log_message(self, format, *args):
        print(f"plain-http: {self.command} {self.path} {args[1] if len(args) > 1 else ''}", flush=True)


def main(argv):
    if argv[1:] not in ([], ["serve"]):
        print(f"plain-http: unknown arguments {argv[1:]}; start it as `serve`", file=sys.stderr, flush=True)
        return 2
    case = os.environ.get("PLAIN_HTTP_CASE", "upper")
    if case not in CASES:
        print(f"plain-http: PLAIN_HTTP_CASE={case!r} is not one of {sorted(CASES)}", file=sys.stderr, flush=True)
        return 2
    Handler.convert = staticmethod(CASES[case])
    model_dir = os.environ.get("SM_MODEL_DIR", "/opt/ml/model")
    prefix_file = os.path.join(model_dir, "prefix.txt")
    if os.path.isfile(prefix_file):
        with open(prefix_file, "rb") as f:
            Handler.prefix = f.read()
    host = os.environ.get("BTE_BIND_HOST", "0.0.0.0")
    port = int(os.environ.get("SAGEMAKER_BIND_TO_PORT", "8080"))
    server = ThreadingHTTPServer((host, port), Handler)
    # As PID 1 in a container, SIGTERM is ignored unless handled: exit cleanly on it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"plain-http: listening on {host}:{port}, model dir {model_dir}, case {case}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
