"""A small local fake of the GitHub REST API (issues and issue comments), on loopback.

It records every request and keeps comments and issues in memory. Tokens: "write-token" may
write, "read-only" gets 403 on writes as a fork's workflow token does; both are installation
tokens like the workflow's GITHUB_TOKEN (GET /user answers 403 "Resource not accessible by
integration"; what they write is github-actions[bot]'s). "pat-token" is a personal token of
`deploy-bot` (GET /user answers its login). A body over 65,536 characters is refused with 422
as GitHub does. Lists page `page_size` items at a time.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

WRITE_TOKEN = "write-token"
READ_ONLY_TOKEN = "read-only"
PAT_TOKEN = "pat-token"
BOT = "github-actions[bot]"
USERS = {WRITE_TOKEN: BOT, READ_ONLY_TOKEN: BOT, PAT_TOKEN: "deploy-bot"}
LIMIT = 65536


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str


@dataclass
class FakeGitHub:
    url: str = ""
    page_size: int = 100
    requests: list[Recorded] = field(default_factory=list)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)
    _next_id: int = 1000

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def writes(self) -> list[Recorded]:
        return [r for r in self.requests if r.method != "GET"]

    def add_issue(self, title: str, body: str, labels: list[str], user: str = "someone") -> dict[str, Any]:
        number = len(self.issues) + 1
        issue = {
            "number": number,
            "title": title,
            "body": body,
            "labels": [{"name": n} for n in labels],
            "state": "open",
            "user": {"login": user},
            "html_url": f"https://github.example/acme/fleet/issues/{number}",
        }
        self.issues[number] = issue
        return issue

    def add_comment(self, number: int, body: str, user: str = "someone") -> dict[str, Any]:
        comment = {"id": self.new_id(), "body": body, "user": {"login": user}, "html_url": ""}
        comment["html_url"] = f"https://github.example/acme/fleet/pull/{number}#issuecomment-{comment['id']}"
        self.comments.setdefault(number, []).append(comment)
        return comment

    # ------------------------------------------------------------ routing
    def handle(self, method: str, path: str, query: dict[str, str], body: Any, auth: str) -> tuple[int, Any, str]:
        self.requests.append(Recorded(method, path, query, body, auth))
        token = auth.removeprefix("Bearer ")
        if token not in USERS:
            return 401, {"message": "Bad credentials"}, ""
        user = USERS[token]
        if path == "/user" and method == "GET":
            if token == PAT_TOKEN:
                return 200, {"login": user, "type": "User"}, ""
            return 403, {"message": "Resource not accessible by integration"}, ""
        if method != "GET" and auth == f"Bearer {READ_ONLY_TOKEN}":
            return 403, {"message": "Resource not accessible by integration"}, ""
        if isinstance(body, dict) and len(str(body.get("body") or "")) > LIMIT:
            return 422, {"message": "Validation Failed: body is too long (maximum is 65536 characters)"}, ""
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)/comments", path):
            number = int(m.group(1))
            if method == "GET":
                return self._page(self.comments.get(number, []), path, query)
            if number not in self.comments and number not in self.issues and number > 500:
                return 404, {"message": "Not Found"}, ""
            return 201, self.add_comment(number, body["body"], user), ""
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/comments/(\d+)", path):
            for comments in self.comments.values():
                for comment in comments:
                    if comment["id"] == int(m.group(1)):
                        comment["body"] = body["body"]
                        return 200, comment, ""
            return 404, {"message": "Not Found"}, ""
        if re.fullmatch(r"/repos/[^/]+/[^/]+/issues", path):
            if method == "GET":
                found = [
                    i
                    for i in self.issues.values()
                    if i["state"] == query.get("state", "open")
                    and (not query.get("labels") or query["labels"] in [x["name"] for x in i["labels"]])
                ]
                return self._page(found, path, query)
            return 201, self.add_issue(body["title"], body["body"], body.get("labels", []), user), ""
        if m := re.fullmatch(r"/repos/[^/]+/[^/]+/issues/(\d+)", path):
            issue = self.issues[int(m.group(1))]
            issue.update({k: v for k, v in body.items() if k in ("title", "body", "state", "state_reason")})
            return 200, issue, ""
        return 404, {"message": "Not Found"}, ""

    def _page(self, items: list[dict[str, Any]], path: str, query: dict[str, str]) -> tuple[int, Any, str]:
        size = min(int(query.get("per_page", "30")), self.page_size)
        page = int(query.get("page", "1"))
        chunk = items[(page - 1) * size : page * size]
        link = ""
        if page * size < len(items):
            rest = "&".join(f"{k}={v}" for k, v in {**query, "page": str(page + 1)}.items())
            link = f'<{self.url}{path}?{rest}>; rel="next"'
        return 200, chunk, link


def serve() -> tuple[FakeGitHub, ThreadingHTTPServer]:
    fake = FakeGitHub()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            status, document, link = fake.handle(
                self.command, parts.path, query, body, self.headers.get("Authorization", "")
            )
            raw = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            if link:
                self.send_header("Link", link)
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PATCH = _reply

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return fake, server
