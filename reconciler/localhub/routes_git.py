"""Repository content: preupload, the NDJSON commit, tree, paths-info, commit history, resolve."""

from __future__ import annotations

import base64
import binascii
import html
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from starlette.responses import Response, StreamingResponse

from reconciler.localhub import card, gitobj, lifecycle, uploadmode
from reconciler.localhub.clock import iso
from reconciler.localhub.errors import HubError, bad_request, entry_not_found, revision_not_found
from reconciler.localhub.state import LfsRef, Operation, Repo, Store, Tree, lfs_of
from reconciler.localhub.uploadmode import UploadMode
from reconciler.localhub.web import PLURAL, Ctx, field, json_response, paginate

STALE_PARENT = "The branch was updated since you opened this page. Please refresh and try again."
# The Hub's answers to a commit it will not store (400, so the client raises BadRequestError):
# a regular file over 10 MiB (message quoted in huggingface_hub issue #2666), binary content sent
# inline (hub-contract §8.2: the Hub refuses binary files in plain git, "use Xet to store binary
# files"; the wording around that phrase is modelled on the 10 MiB message), and an `lfsFile`
# whose content was never uploaded (the message public code matches when it catches
# BadRequestError from upload_folder).
TOO_LARGE = (
    "Your push was rejected because it contains files larger than 10 MiB. Please use https://git-lfs.github.com/"
    " to store large files. See also: https://hf.co/docs/hub/repositories-getting-started#terminal"
    " Offending files: {files} (ref: refs/heads/main)"
)
BINARY = (
    "Your push was rejected because it contains binary files. Please use Xet to store binary files"
    " (https://huggingface.co/docs/hub/xet). Offending files: {files} (ref: refs/heads/main)"
)
DANGLING_LFS = (
    "Your push was rejected because an LFS pointer pointed to a file that does not exist. For instance, this can"
    " happen if you used git push --no-verify to push your changes. Offending file: {files}"
)
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
    """Each file's upload mode, decided by `uploadmode` from the repo's files at this revision."""
    repo = _repo(ctx, p, write=True)
    _branch(repo, p["rev"])
    body = ctx.json()
    files = field(body, "files", list)
    ignored = _gitignore(ctx.store, repo.tree, body.get("gitIgnore"))
    attributes = attributes_of(ctx.store, repo.tree)
    answer = []
    for item in files:
        path = item.get("path") if isinstance(item, dict) else None
        if not isinstance(path, str) or (problem := gitobj.path_problem(path)):
            raise HubError(422, f"Invalid path in preupload: {problem if isinstance(path, str) else path!r}")
        size, sample = _size_and_sample(item)
        mode = uploadmode.decide(path, size, sample, attributes).mode
        entry: dict[str, Any] = {"path": path, "uploadMode": mode.value, "shouldIgnore": ignored(path)}
        existing = repo.tree.get(path)
        if existing:
            # The Hub omits `oid` for new paths; the client reads it with .get() and compares it with
            # sha256 of the content for an lfs-mode file, with the git blob id for a regular one
            # (huggingface_hub _commit_api.CommitOperationAdd._local_oid).
            lfs = lfs_of(existing)
            entry["oid"] = lfs["sha256"] if lfs and mode is UploadMode.LFS else existing[0]
        answer.append(entry)
    return json_response({"files": answer, "commitOid": repo.head})


def _size_and_sample(item: dict[str, Any]) -> tuple[int, bytes]:
    size, sample = item.get("size"), item.get("sample", "")
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise bad_request(f'"size" of {item["path"]!r} must be a non-negative integer')
    if not isinstance(sample, str):
        raise bad_request(f'"sample" of {item["path"]!r} must be base64 text')
    try:
        return size, base64.b64decode(sample, validate=True)
    except binascii.Error:
        raise bad_request(f'"sample" of {item["path"]!r} is not valid base64') from None


def attributes_of(store: Store, tree: Tree) -> uploadmode.GitAttributes:
    return uploadmode.GitAttributes(_text(store, tree, ".gitattributes"))


def _text(store: Store, tree: Tree, path: str) -> str:
    return store.read_file(tree, path).decode("utf-8", "replace") if path in tree else ""


def _gitignore(store: Store, tree: Tree, sent: Any) -> Callable[[str], bool]:
    """Matcher for the .gitignore sent with the commit, else the repo's own (as the Hub's preupload does)."""
    return uploadmode.gitignore_matcher(sent if isinstance(sent, str) else _text(store, tree, ".gitignore"))


def _folder_if_one(repo: Repo, op: Operation) -> Operation:
    """A `deletedFile` naming a folder deletes the folder, as the Hub does (found running
    huggingface_hub's own commit tests; CommitOperationDelete sends a folder path without its
    trailing "/" as deletedFile when is_folder is False)."""
    if op.kind != "delete" or op.path in repo.tree:
        return op
    prefix = op.path.rstrip("/") + "/"
    if any(path.startswith(prefix) for path in repo.tree):
        return Operation("delete_folder", op.path.rstrip("/"))
    return op


def commit(ctx: Ctx, p: Params) -> Response:
    repo = _repo(ctx, p, write=True)
    _branch(repo, p["rev"])
    if ctx.flag("create_pr"):
        raise bad_request("Pull requests are not supported by the local Hub")
    header, parsed = _parse_ndjson(ctx.body)
    operations = [_folder_if_one(repo, op) for op in parsed]
    if not header.get("summary"):
        raise bad_request("The commit header needs a non-empty summary")
    parent = header.get("parentCommit")
    if parent is not None and parent != repo.head:
        raise HubError(412, STALE_PARENT)
    operations = _lfs_operations(ctx.store, operations)
    _refuse_inline(operations, binary_refused=ctx.core.fidelity.inline_binary_refused)
    operations = _track_lfs_paths(ctx.store, repo.tree, operations)
    new_card = repo.card
    readme = next((op for op in operations if op.path == "README.md"), None)
    if readme is not None and readme.kind == "put":
        try:
            data = ctx.store.lfs_path(readme.lfs.sha256).read_bytes() if readme.lfs else readme.data
            text = data.decode("utf-8")
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


def _lfs_operations(store: Store, operations: list[Operation]) -> list[Operation]:
    """`lfsFile` lines checked against the content store; a copy's line has no size: the store knows it."""
    checked, missing = [], []
    for op in operations:
        if op.lfs is not None:
            if not store.has_lfs(op.lfs.sha256):
                missing.append(op.path)
                continue
            stored = store.lfs_path(op.lfs.sha256).stat().st_size
            if op.lfs.size not in (-1, stored):
                raise bad_request(f"Size mismatch for {op.path}: the LFS object {op.lfs.sha256} has {stored} bytes")
            op = Operation("put", op.path, lfs=LfsRef(op.lfs.sha256, stored))
        checked.append(op)
    if missing:
        raise bad_request(DANGLING_LFS.format(files=_listing(missing)))
    return checked


def _refuse_inline(operations: list[Operation], binary_refused: bool) -> None:
    inline = [op for op in operations if op.kind == "put" and op.lfs is None]
    if large := [op.path for op in inline if len(op.data) > uploadmode.LFS_MIN_SIZE]:
        raise bad_request(TOO_LARGE.format(files=_listing(large)))
    if binary_refused and (binary := [op.path for op in inline if uploadmode.is_binary(op.data)]):
        raise bad_request(BINARY.format(files=_listing(binary)))


def _listing(paths: list[str]) -> str:
    return " ".join(f"- {path}" for path in paths)


def _track_lfs_paths(store: Store, tree: Tree, operations: list[Operation]) -> list[Operation]:
    """Append a `.gitattributes` line for each LFS file no pattern covers, in the same commit, as the Hub does.

    Public Hub commits show such lines (hub-contract §8.2); the patterns are those the commit leaves
    (its own `.gitattributes` if it writes one).
    """
    own = next((op for op in reversed(operations) if op.path == ".gitattributes"), None)
    if own is not None and own.kind == "put":
        text = (store.lfs_path(own.lfs.sha256).read_bytes() if own.lfs else own.data).decode("utf-8", "replace")
    elif own is not None or any(op.kind == "delete_folder" and not op.path for op in operations):
        text = ""
    else:
        text = _text(store, tree, ".gitattributes")
    attributes = uploadmode.GitAttributes(text)
    uncovered = [op.path for op in operations if op.lfs is not None and not attributes.is_lfs(op.path)]
    if not uncovered:
        return operations
    for path in dict.fromkeys(uncovered):
        text = uploadmode.with_line_for(text, path)
    kept = [op for op in operations if not (op.path == ".gitattributes" and op.kind == "put")]
    return [*kept, Operation("put", ".gitattributes", text.encode("utf-8"))]


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
        path = value.get("path")
        if not isinstance(path, str):
            raise bad_request(f'Invalid NDJSON: line {number} needs a string "path"')
        if key == "file":
            check = gitobj.path_problem(path)
            operations.append(Operation("put", path, _content(value, number)))
        elif key == "lfsFile":
            check = gitobj.path_problem(path)
            operations.append(Operation("put", path, lfs=_lfs_ref(value, number)))
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


def _lfs_ref(value: dict[str, Any], number: int) -> LfsRef:
    """`{"path", "algo": "sha256", "oid", "size"?}`; size -1 stands for "absent" (a copy sends none)."""
    oid, size = value.get("oid"), value.get("size", -1)
    if value.get("algo", "sha256") != "sha256":
        raise bad_request(f'Invalid NDJSON: line {number}: only "algo": "sha256" is supported')
    if not isinstance(oid, str) or not gitobj.is_sha256(oid):
        raise bad_request(f'Invalid NDJSON: line {number} needs "oid", the sha256 of the content (64 hex digits)')
    if not isinstance(size, int) or isinstance(size, bool) or size < -1:
        raise bad_request(f'Invalid NDJSON: line {number}: "size" must be a non-negative integer')
    return LfsRef(oid, size)


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


def _file_item(store: Store, repo: Repo, path: str, entry: list[Any], expand: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"type": "file", "oid": entry[0], "size": entry[1], "path": path}
    lfs = lfs_of(entry)
    if lfs:
        # `oid` is the git blob id of the pointer, `size` the content's (hub-contract §9 and §11).
        item["lfs"] = {"oid": lfs["sha256"], "size": lfs["size"], "pointerSize": lfs["pointerSize"]}
        if xet_hash := store.xet_hash(lfs["sha256"]):
            item["xetHash"] = xet_hash
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
    items += [_file_item(ctx.store, repo, f, tree[f], expand) for f in sorted(tree) if wanted(f)]
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
            items.append(_file_item(ctx.store, repo, path, tree[path], expand))
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
    oid, size, lfs = tree[path][0], tree[path][1], lfs_of(tree[path])
    headers = {
        "X-Repo-Commit": sha,
        "ETag": f'"{oid}"',
        "Accept-Ranges": "bytes",
        "Content-Type": "application/octet-stream",
    }
    if lfs:
        # The client prefers X-Linked-Etag over ETag for the cache's blob name (hub-contract §9).
        headers.update({"X-Linked-Etag": f'"{lfs["sha256"]}"', "X-Linked-Size": str(size)})
        if xet_hash := ctx.store.xet_hash(lfs["sha256"]):
            # Only content the CAS registered has a Xet hash, so a client that follows these headers
            # to the CAS (utils/_xet.parse_xet_file_data_from_response) finds it there.
            read_token = f"/api/{URL_PREFIX[repo.type] or 'models/'}{repo.id}/xet-read-token/{sha}"
            headers.update({"X-Xet-Hash": xet_hash, "Link": f'<{ctx.url(read_token)}>; rel="xet-auth"'})
    if ctx.method == "HEAD":
        return Response(b"", headers={**headers, "Content-Length": str(size)})
    byte_range = _range(ctx.headers.get("range"), size)
    source = ctx.store.lfs_path(lfs["sha256"]) if lfs else ctx.store.blob_path(oid)
    if byte_range is None:
        return _file_response(source, headers)
    first, last = byte_range
    headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    return _file_response(source, headers, status=206, span=(first, last))


def _file_response(
    path: Path, headers: dict[str, str], status: int = 200, span: tuple[int, int] | None = None
) -> Response:
    """Stream the file from disk (whatever its size), the whole of it or one span."""
    first, last = span or (0, path.stat().st_size - 1)
    length = max(0, last - first + 1)

    def chunks() -> Iterator[bytes]:
        with open(path, "rb") as handle:
            handle.seek(first)
            left = length
            while left > 0:
                chunk = handle.read(min(left, 1024 * 1024))
                if not chunk:
                    return
                left -= len(chunk)
                yield chunk

    return StreamingResponse(chunks(), status_code=status, headers={**headers, "Content-Length": str(length)})


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
