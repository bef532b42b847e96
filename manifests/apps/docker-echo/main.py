"""A dependency-free HTTP server that echoes the request path."""

import os
from http.server import BaseHTTPRequestHandler, HTTPServer

PREFIX = os.environ.get("ECHO_PREFIX", "echo: ")


class Echo(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"{PREFIX}{self.path}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    HTTPServer(("0.0.0.0", 7860), Echo).serve_forever()
