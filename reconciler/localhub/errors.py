"""The one exception type handlers raise; the server turns it into the Hub's error response."""

from __future__ import annotations


class HubError(Exception):
    """An error answered as `{"error": message}` with the Hub's `X-Error-Code` when it has one."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})  # more keys of the JSON body, e.g. the `url` of a 409


def bad_request(message: str) -> HubError:
    return HubError(400, message)


# The Hub's own words (huggingface_hub tests/test_utils_http.py, TestBucketNotFoundError), which
# the client's message already contains: hf_raise_for_status then adds nothing (it drops a server
# message its own text contains), so the id is printed once, in the URL.
REPO_NOT_FOUND = "Repository not found"


def repo_not_found(repo_id: str, status: int = 404) -> HubError:
    """`repo_id` is not echoed: the client's message names the URL already."""
    return HubError(status, REPO_NOT_FOUND, "RepoNotFound", {"X-Error-Message": REPO_NOT_FOUND})


def revision_not_found(revision: str) -> HubError:
    return HubError(404, f"Invalid rev id: {revision}", "RevisionNotFound")


def entry_not_found(path: str, commit: str | None = None) -> HubError:
    headers = {"X-Repo-Commit": commit} if commit else {}
    return HubError(404, f"Entry not found: {path}. A file with this name doesn't exist.", "EntryNotFound", headers)
