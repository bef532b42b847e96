"""The one module that talks to the GitHub REST API (stdlib urllib: nothing to install).

Only what the action needs: issue comments (a pull request is an issue) and issues. The
token goes in a header and never into a message; errors carry the status and GitHub's text.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from typing import Any

from reconciler import __version__
from reconciler.ci import redact
from reconciler.errors import ReconcileError

# Enough for any real pull request or issue list; bounds a runaway pagination loop.
MAX_PAGES = 50
# Who writes with the workflow's own token (an installation token: GET /user is refused for it).
WORKFLOW_BOT = "github-actions[bot]"
_NEXT = re.compile(r'<([^>]+)>;\s*rel="next"')


class GitHubError(ReconcileError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"GitHub API: {status} {message}")
        self.status = status


class GitHub:
    def __init__(self, api_url: str, token: str, repository: str, timeout_s: float = 30.0) -> None:
        self.api_url = api_url.rstrip("/")
        self.repo_path = f"/repos/{repository}"
        self._token = token
        self.timeout_s = timeout_s
        self._login: str | None = None

    def request(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        data, _ = self._send(method, path if path.startswith("http") else self.api_url + path, body)
        return data

    def _send(self, method: str, url: str, body: Mapping[str, Any] | None) -> tuple[Any, str]:
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"spaces-reconciler/{__version__}",
        }
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        payload = None
        if body is not None:
            # Raw values masked in the document first, then any escaped form left in its JSON text.
            payload = redact.text(json.dumps(redact.data(body))).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=payload, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                raw = response.read()
                link = response.headers.get("Link", "")
        except urllib.error.HTTPError as problem:
            raise GitHubError(problem.code, _message(problem.read())) from None
        except (urllib.error.URLError, TimeoutError, OSError) as problem:
            raise GitHubError(0, f"cannot reach {self.api_url}: {problem}") from None
        return (json.loads(raw) if raw else None), link

    def paginate(self, path: str, params: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        url: str | None = f"{self.api_url}{path}?{urllib.parse.urlencode({**params, 'per_page': '100'})}"
        for _ in range(MAX_PAGES):
            if url is None:
                return
            items, link = self._send("GET", url, None)
            yield from items
            found = _NEXT.search(link)
            # Follow only links back to the same API, so the token is never sent anywhere else.
            url = found.group(1) if found and found.group(1).startswith(self.api_url + "/") else None

    def login(self) -> str:
        """The identity of the token in use: only what it wrote is ever edited.

        A personal or user token answers GET /user. An installation token (the workflow's
        GITHUB_TOKEN, or another GitHub App's) is refused there; it is taken for the workflow's
        token, whose comments are the `github-actions[bot]` user's. Another App's token then
        matches nothing and the action creates a new comment rather than edit one it cannot
        attribute to itself.
        """
        if self._login is None:
            try:
                self._login = str(self.request("GET", "/user")["login"])
            except GitHubError as problem:
                if problem.status not in (401, 403):
                    raise
                self._login = WORKFLOW_BOT
        return self._login

    def wrote(self, item: Mapping[str, Any]) -> bool:
        """Whether this comment or issue was written by the identity of our token."""
        user = item.get("user")
        return isinstance(user, Mapping) and user.get("login") == self.login()

    # ---------------------------------------------------------------- comments
    def comments(self, number: int) -> Iterator[dict[str, Any]]:
        return self.paginate(f"{self.repo_path}/issues/{number}/comments", {})

    def create_comment(self, number: int, body: str) -> dict[str, Any]:
        return dict(self.request("POST", f"{self.repo_path}/issues/{number}/comments", {"body": body}))

    def update_comment(self, comment_id: int, body: str) -> dict[str, Any]:
        return dict(self.request("PATCH", f"{self.repo_path}/issues/comments/{comment_id}", {"body": body}))

    # ---------------------------------------------------------------- issues
    def open_issues(self, label: str) -> Iterator[dict[str, Any]]:
        for item in self.paginate(f"{self.repo_path}/issues", {"state": "open", "labels": label}):
            if "pull_request" not in item:  # the issues endpoint lists pull requests too
                yield item

    def create_issue(self, title: str, body: str, labels: list[str]) -> dict[str, Any]:
        document = {"title": title, "body": body, "labels": labels}
        return dict(self.request("POST", f"{self.repo_path}/issues", document))

    def update_issue(self, number: int, **fields: Any) -> dict[str, Any]:
        return dict(self.request("PATCH", f"{self.repo_path}/issues/{number}", fields))


def _message(raw: bytes) -> str:
    try:
        document = json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:200]
    return str(document.get("message", "")) if isinstance(document, dict) else ""
