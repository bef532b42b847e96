"""Repository content: preupload, the NDJSON commit, tree, paths-info, commit history, resolve."""

from __future__ import annotations

import base64
import binascii
import html
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

import pathspec
from starlette.responses import Response

from reconciler.localhub import card, gitobj, lifecycle
from reconciler.localhub.clock import iso
from reconciler.localhub.errors import HubError, bad_request, entry_not_found, revision_not_found
from reconciler.localhub.state import Operation, Repo, Tree
from reconciler.localhub.web import PLURAL, Ctx, field, json_response, paginate

STALE_PARENT = "The branch was updated since you opened this page. Please refresh and try again."
URL_PREFIX = {"model": "", "dataset": "datasets/", "space": "spaces/"}

Params = dict[str, str]


def resolve_revision(repo: Repo, revision: str) -> str:
    if revision in ("main", "refs/heads/main"):
        return repo.head
    if gitobj.is_full_sha(revision) and repo.find_commit(revision):
        return revision
    raise revision_not_found(revision)


def _repo(ctx: Ctx, p: Params, write: bool = False) -> Repo:
    # Model URLs have no type segment: /{ns}/{name}/resolve/...
    repo_type, repo_id = PLURAL[p.get("rtype", "models")], f"{p['ns']}/{p['name']}"
    return ctx.writable(repo_type, repo_id) if write else ctx.readable(repo_type, repo_id, files=True)


def _branch(repo: Repo, revision: str) -> None:
    if revision not in ("main", "refs/heads/main"):
        if gitobj.is_full_sha(revision) and repo.find_commit(revision):
            raise bad_request(f"Cannot commit to a commit id ({revision}); commit to a branch")
        raise revision_not_found(revision)


def preupload(ctx: Ctx, p: Params) -> Response:
    repo = _repo(ctx, p, write=True)
    _branch(repo, p["rev"])
    body = ctx.json()
    files = field(body, "files", list)
    ignored = _gitignore(ctx, repo, body.get("gitIgnore"))
    answer = []
    for item in files:
        path = item.get("path") if isinstance(item, dict) else None
        if not isinstance(path, str) or (problem := gitobj.path_problem(path)):
            raise HubError(422, f"Invalid path in preupload: {problem if isinstance(path, str) else path!r}")
        existing = repo.tree.get(path)
        # Always "regular": content then travels inline in the commit and no LFS or Xet storage is needed.
        item = {"path": path, "uploadMode": "regular", "shouldIgnore": ignored(path)}
        if existing:
            # The Hub omits `oid` for new paths; the client reads it with .get().
            item["oid"] = existing[0]
        answer.append(item)
    return json_response({"files": answer, "commitOid": repo.head})


def _gitignore(ctx: Ctx, repo: Repo, sent: Any) -> Callable[[str], bool]:
    """Matcher for the .gitignore sent with the commit, else the repo's own (as the Hub's preupload does)."""
    if not isinstance(sent, str):
        existing = repo.tree.get(".gitignore")
        sent = ctx.store.read_blob(existing[0]).decode("utf-8", "replace") if existing else ""
    if not sent.strip():
        return lambda path: False
    spec = pathspec.GitIgnoreSpec.from_lines(sent.splitlines())
    return lambda path: path not in (".gitignore", ".gitattributes") and spec.match_file(path)


def commit(ctx: Ctx, p: Params) -> Response:
    repo = _repo(ctx, p, write=True)
    _branch(repo, p["rev"])
    if ctx.flag("create_pr"):
        raise bad_request("Pull requests are not supported by the local Hub")
    header, operations = _parse_ndjson(ctx.body)
    if not header.get("summary"):
        raise bad_request("The commit header needs a non-empty summary")
    parent = header.get("parentCommit")
    if parent is not None and parent != repo.head:
        raise HubError(412, STALE_PARENT)
    new_card = repo.card
    readme = next((op for op in operations if op.path == "README.md"), None)
    if readme is not None and readme.kind == "put":
        try:
            text = readme.data.decode("utf-8")
            new_card = card.validate_space_readme(text) if repo.type == "space" else card.parse_card(text)
        except (UnicodeDecodeError, card.CardError) as problem:
            raise bad_request(f"Invalid metadata in README.md.\n- {problem}") from None
    elif readme is not None or any(op.kind == "delete_folder" and not op.path.strip("/") for op in operations):
        new_card = {}
    summary = header["summary"]
    result = ctx.store.commit(repo, operations, summary, header.get("description") or "", ctx.user().user)
    ctx.store.event(repo.id, "commit", f"{result.commit.id} {summary}")
    card_changed = new_card != repo.card
    repo.card = new_card
    lifecycle.after_commit(ctx.core, repo, result, card_changed, ctx.flag("hot_reload"))
    ctx.store.save(repo)
    sha = result.commit.id
    return json_response(
        {
            "success": True,
            "commitOid": sha,
            "hookOutput": "",
            "pullRequestUrl": None,
            "commitUrl": ctx.url(f"/{URL_PREFIX[repo.type]}{repo.id}/commit/{sha}"),
        }
    )


def _parse_ndjson(body: bytes) -> tuple[dict[str, Any], list[Operation]]:
    header: dict[str, Any] | None = None
    operations: list[Operation] = []
    for number, line in enumerate(body.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise bad_request(f"Invalid NDJSON: line {number} is not JSON") from None
        if not isinstance(item, dict) or not isinstance(item.get("value"), dict):
            raise bad_request(f'Invalid NDJSON: line {number} needs "key" and an object "value"')
        key, value = item.get("key"), item["value"]
        if key == "header":
            if header is not None or operations:
                raise bad_request(f"Invalid NDJSON: the header must be the first line and appear once (line {number})")
            header = value
            continue
        if header is None:
            raise bad_request('Invalid NDJSON: the first line must be the "header"')
        if key == "lfsFile":
            raise bad_request(
                "LFS files are not supported by the local Hub: preupload answers 'regular' for every file"
            )
        path = value.get("path")
        if not isinstance(path, str):
            raise bad_request(f'Invalid NDJSON: line {number} needs a string "path"')
        if key == "file":
            check = gitobj.path_problem(path)
            operations.append(Operation("put", path, _content(value, number)))
        elif key == "deletedFile":
            check = gitobj.path_problem(path)
            operations.append(Operation("delete", path))
        elif key == "deletedFolder":
            folder = path.rstrip("/")
            check = gitobj.path_problem(folder) if folder else None
            operations.append(Operation("delete_folder", folder))
        else:
            raise bad_request(f"Invalid NDJSON: unknown operation {key!r} on line {number}")
        if check:
            raise HubError(422, f"Invalid path: {check}")
    if header is None:
        raise bad_request('Invalid NDJSON: the first line must be the "header"')
    for key in ("summary", "description", "parentCommit"):
        if header.get(key) is not None and not isinstance(header[key], str):
            raise bad_request(f'Invalid commit header: "{key}" must be a string')
    return header, operations


def _content(value: dict[str, Any], number: int) -> bytes:
    content = value.get("content")
    if not isinstance(content, str):
        raise bad_request(f'Invalid NDJSON: line {number} needs a string "content"')
    if value.get("encoding", "utf-8") == "base64":
        try:
            return base64.b64decode(content, validate=True)
        except binascii.Error:
            raise bad_request(f"Invalid base64 content on line {number}") from None
    return content.encode("utf-8")


# ---------------------------------------------------------------------- reading


def _file_item(repo: Repo, path: str, entry: list[Any], expand: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "file", "oid": entry[0], "size": entry[1], "path": path}
    if expand:
        meta = repo.find_commit(entry[2])
        if meta:
            item["lastCommit"] = {"id": meta.id, "title": meta.title, "date": iso(meta.timestamp)}
        item["securityFileStatus"] = {
            "status": "safe",
            "avScan": {"virusFound": False, "virusNames": None},
            "pickleImportScan": None,
        }
    return item


def _folder_item(tree: Tree, path: str) -> dict[str, Any]:
    prefix = path + "/"
    oid = gitobj.tree_oid((p[len(prefix) :], e[0]) for p, e in tree.items() if p.startswith(prefix))
    return {"type": "directory", "oid": oid, "size": 0, "path": path}


def _folders(tree: Tree) -> set[str]:
    return {path[:i] for path in tree for i, ch in enumerate(path) if ch == "/"}


def list_tree(ctx: Ctx, p: Params) -> Response:
    repo = _repo(ctx, p)
    sha = resolve_revision(repo, p["rev"])
    tree = ctx.store.tree_at(repo, sha)
    base = p.get("path", "").strip("/")
    folders = _folders(tree)
    if base and base not in folders:
        raise entry_not_found(base, sha)
    prefix = f"{base}/" if base else ""
    recursive, expand = ctx.flag("recursive"), ctx.flag("expand")

    def wanted(path: str) -> bool:
        return path.startswith(prefix) and (recursive or "/" not in path[len(prefix) :])

    items = [_folder_item(tree, f) for f in sorted(folders) if wanted(f)]
    items += [_file_item(repo, f, tree[f], expand) for f in sorted(tree) if wanted(f)]
    items.sort(key=lambda item: item["path"])
    return paginate(ctx, items, 50 if expand else 1000)


def paths_info(ctx: Ctx, p: Params) -> Response:
    repo = _repo(ctx, p)
    sha = resolve_revision(repo, p["rev"])
    tree = ctx.store.tree_at(repo, sha)
    if ctx.headers.get("content-type", "").startswith("application/json"):
        body = ctx.json()
        paths, expand = body.get("paths") or [], bool(body.get("expand"))
    else:
        form = parse_qsl(ctx.body.decode("utf-8", "replace"))
        paths = [value for key, value in form if key in ("paths", "paths[]")]
        expand = any(key == "expand" and value.lower() == "true" for key, value in form)
    if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
        raise bad_request('"paths" must be a list of strings')
    folders = _folders(tree)
    items = []
    for path in dict.fromkeys(path.strip("/") for path in paths):
        if path in tree:
            items.append(_file_item(repo, path, tree[path], expand))
        elif path in folders:
            items.append(_folder_item(tree, path))
    return json_response(items)


def list_commits(ctx: Ctx, p: Params) -> Response:
    repo = _repo(ctx, p)
    sha = resolve_revision(repo, p["rev"])
    index = next(i for i, c in enumerate(repo.commits) if c.id == sha)
    formatted = "formatted" in ctx.params("expand")
    items = []
    for meta in reversed(repo.commits[: index + 1]):
        item: dict[str, Any] = {
            "id": meta.id,
            "title": meta.title,
            "message": meta.message,
            "authors": [{"user": meta.author, "avatar": None}],
            "date": iso(meta.timestamp),
        }
        if formatted:
            item["formatted"] = {"title": html.escape(meta.title), "message": html.escape(meta.message)}
        items.append(item)
    return paginate(ctx, items, 50)


def resolve(ctx: Ctx, p: Params) -> Response:
    repo = _repo(ctx, p)
    sha = resolve_revision(repo, p["rev"])
    tree = ctx.store.tree_at(repo, sha)
    path = p["file"]
    if path not in tree:
        raise entry_not_found(path, sha)
    oid, size = tree[path][0], tree[path][1]
    headers = {
        "X-Repo-Commit": sha,
        "ETag": f'"{oid}"',
        "Accept-Ranges": "bytes",
        "Content-Type": "application/octet-stream",
    }
    if ctx.method == "HEAD":
        return Response(b"", headers={**headers, "Content-Length": str(size)})
    data = ctx.store.read_blob(oid)
    byte_range = _range(ctx.headers.get("range"), size)
    if byte_range is None:
        return Response(data, headers=headers)
    first, last = byte_range
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return Response(data[first : last + 1], status_code=206, headers=headers)


def _range(header: str | None, size: int) -> tuple[int, int] | None:
    if not header or not header.startswith("bytes=") or "," in header:
        return None
    first_text, _, last_text = header[6:].partition("-")
    try:
        if not first_text:
            first, last = max(0, size - int(last_text)), size - 1
        else:
            first, last = int(first_text), min(int(last_text), size - 1) if last_text else size - 1
    except ValueError:
        return None
    if first > last or first >= size:
        raise HubError(416, "Requested range not satisfiable", headers={"Content-Range": f"bytes */{size}"})
    return first, last


def validate_yaml(ctx: Ctx, p: Params) -> Response:
    body = ctx.json()
    content = field(body, "content", str)
    repo_type = body.get("repoType", "model")
    try:
        parsed = card.parse_card(content)
        problems = card.space_card_problems(parsed) if repo_type == "space" else []
    except card.CardError as problem:
        problems = problem.messages
    if problems:
        return json_response({"errors": [{"message": m} for m in problems], "warnings": []}, status=400)
    return json_response({"errors": [], "warnings": []})
