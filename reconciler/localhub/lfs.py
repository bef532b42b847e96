"""The legacy Git LFS batch API, as huggingface_hub 2.4 drives it with HF_HUB_DISABLE_XET=1 (lfs.py).

1. `POST /{prefix}{id}.git/info/lfs/objects/batch` (auth): for each object, nothing when the content
   store already holds it, else an `upload` action (and a `verify` one). Objects of at least
   `UploadPolicy.multipart_threshold` bytes get a multipart upload when the client offers it:
   `header.chunk_size` plus one numbered part URL per chunk, the action's href being the
   completion URL (huggingface_hub lfs._upload_multi_part).
2. The client PUTs the bytes to those URLs **without** its token (on the Hub they are presigned S3
   URLs), so each URL carries its own credential: an HMAC over what it may write and when it expires.
   The server streams the body to a temporary file (never the whole body in memory) and the content
   store checks sha256 and size before anything becomes visible.
3. Multipart ends with `POST <href>` `{"oid", "parts": [{"partNumber", "etag"}]}` (no token either):
   every part must be there with the ETag its PUT answered.
4. `POST .../info/lfs/objects/verify` `{"oid", "size"}` (auth): 200 once the object is stored.

Answers follow the Git LFS batch API (git-lfs docs/api/batch.md): per-object errors
`{"oid", "size", "error": {"code", "message"}}`, which the client raises as a ValueError.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import shutil
from math import ceil
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from reconciler.files import open_private
from reconciler.localhub import gitobj
from reconciler.localhub.errors import HubError, bad_request
from reconciler.localhub.state import Repo, Store, write_atomic
from reconciler.localhub.web import PLURAL, Ctx, json_response

Params = dict[str, str]
LFS_JSON = "application/vnd.git-lfs+json"
URL_SECONDS = 3600  # lifetime of an upload URL (presigned S3 URLs on the Hub are short-lived too)
MAX_OBJECT = 50 * 1000**3  # "the hard limit of 50GB on LFS files" (huggingface_hub PR #1624)
UPLOAD_PREFIX = "lfs-upload"  # path of the signed upload URLs on this server


def _repo(ctx: Ctx, p: Params) -> Repo:
    if not p["name"].endswith(".git") or len(p["name"]) <= 4:
        raise HubError(404, f"Not found: {ctx.method} {ctx.raw_path}")
    repo_type = PLURAL[p.get("rtype", "models")]
    return ctx.writable(repo_type, f"{p['ns']}/{p['name'][:-4]}")


def _lfs_json(data: Any, status: int = 200) -> Response:
    return json_response(data, status=status, headers={"Content-Type": LFS_JSON})


def batch(ctx: Ctx, p: Params) -> Response:
    repo = _repo(ctx, p)
    body = ctx.json()
    if body.get("operation") != "upload":
        raise bad_request('Only the "upload" operation is served; downloads go through /resolve')
    objects = body.get("objects")
    if not isinstance(objects, list):
        raise bad_request('"objects" must be a list')
    transfers = body.get("transfers") or ["basic"]
    if "basic" not in transfers and "multipart" not in transfers:
        raise HubError(422, f"None of the transfers {transfers} is supported: use basic or multipart")
    policy = ctx.store.upload_policy
    answer, chose_multipart = [], False
    for item in objects:
        oid = item.get("oid") if isinstance(item, dict) else None
        size = item.get("size") if isinstance(item, dict) else None
        if not isinstance(oid, str) or not isinstance(size, int) or isinstance(size, bool):
            raise bad_request('Every object needs a string "oid" and an integer "size"')
        if not gitobj.is_sha256(oid) or size < 0:
            answer.append(_error(oid, size, 422, "Invalid object: oid must be a sha256 (64 hex digits), size >= 0"))
        elif size > MAX_OBJECT:
            answer.append(_error(oid, size, 422, "Files larger than 50GB are not supported: split them"))
        elif ctx.store.has_lfs(oid):
            answer.append({"oid": oid, "size": size})  # already present: no actions
        elif "multipart" in transfers and size >= policy.multipart_threshold:
            chose_multipart = True
            answer.append(_multipart(ctx, repo, oid, size, policy.multipart_chunk_size))
        else:
            answer.append({"oid": oid, "size": size, "actions": {"upload": {"href": _put_url(ctx, repo, oid, size)}}})
        if "actions" in answer[-1]:
            answer[-1]["actions"]["verify"] = {"href": _verify_url(ctx, p)}
    transfer = "multipart" if chose_multipart else "basic"
    return _lfs_json({"transfer": transfer, "objects": answer, "hash_algo": "sha256"})


def _error(oid: Any, size: Any, code: int, message: str) -> dict[str, Any]:
    return {"oid": str(oid), "size": size if isinstance(size, int) else 0, "error": {"code": code, "message": message}}


def _verify_url(ctx: Ctx, p: Params) -> str:
    prefix = f"{p['rtype']}/" if "rtype" in p else ""
    return ctx.url(f"/{prefix}{p['ns']}/{p['name']}/info/lfs/objects/verify")


# ---------------------------------------------------------------------- signed URLs


def _signature(store: Store, fields: dict[str, str]) -> str:
    message = "\n".join(f"{key}={fields[key]}" for key in sorted(fields))
    return hmac.new(store.signing_key, message.encode(), hashlib.sha256).hexdigest()


def _signed(ctx: Ctx, path: str, fields: dict[str, str]) -> str:
    fields = {**fields, "expires": str(int(ctx.store.clock.now()) + URL_SECONDS)}
    query = {**fields, "signature": _signature(ctx.store, {"path": path, **fields})}
    return ctx.url(f"{path}?{urlencode(query)}")


def _checked(ctx: Ctx) -> dict[str, str]:
    """The signed fields of this request's URL; 403 when the signature is wrong or expired."""
    fields = dict(ctx.query)
    signature = fields.pop("signature", "")
    expected = _signature(ctx.store, {"path": ctx.raw_path, **fields})
    if not hmac.compare_digest(signature, expected):
        raise HubError(403, "Invalid upload URL signature: ask the LFS batch API for a fresh URL")
    if not fields.get("expires", "").isdigit() or int(fields["expires"]) < ctx.store.clock.now():
        raise HubError(403, "This upload URL has expired: ask the LFS batch API for a fresh URL")
    return fields


def _put_url(ctx: Ctx, repo: Repo, oid: str, size: int) -> str:
    return _signed(ctx, f"/{UPLOAD_PREFIX}/{oid}", {"repo": f"{repo.type}/{repo.id}", "size": str(size)})


def _multipart(ctx: Ctx, repo: Repo, oid: str, size: int, chunk: int) -> dict[str, Any]:
    upload_id = secrets.token_hex(12)
    fields = {"repo": f"{repo.type}/{repo.id}", "size": str(size), "chunk": str(chunk)}
    base = f"/{UPLOAD_PREFIX}/{oid}/{upload_id}"
    header: dict[str, str] = {"chunk_size": str(chunk)}
    for number in range(1, ceil(size / chunk) + 1):
        header[str(number)] = _signed(ctx, f"{base}/{number}", fields)
    return {"oid": oid, "size": size, "actions": {"upload": {"href": _signed(ctx, base, fields), "header": header}}}


# ---------------------------------------------------------------------- uploads (streamed by the server)


def put_limit(ctx: Ctx, p: Params) -> int:
    """How many bytes this signed PUT may carry (exactly that many are expected)."""
    fields = _checked(ctx)
    size = int(fields["size"])
    if "part" not in p:
        return size
    chunk, part = int(fields["chunk"]), _part_number(p["part"])
    if part > ceil(size / chunk):
        raise bad_request(f"Part {part} is beyond the {ceil(size / chunk)} parts of this upload")
    return min(chunk, size - (part - 1) * chunk)


def put_object(ctx: Ctx, p: Params, body: Path) -> Response:
    """A basic-transfer PUT: the whole object, checked and stored."""
    fields = _checked(ctx)
    ctx.store.put_lfs(p["oid"], body, int(fields["size"]))
    return Response(b"", headers={"ETag": f'"{p["oid"]}"'})


def put_part(ctx: Ctx, p: Params, body: Path) -> Response:
    """One multipart PUT: kept aside under the upload's id; its ETag is its md5, as S3 answers."""
    number, expected = _part_number(p["part"]), put_limit(ctx, p)
    if body.stat().st_size != expected:
        body.unlink(missing_ok=True)
        raise bad_request(f"Part {number} must hold {expected} bytes")
    etag = _md5(body)
    part = _part_path(ctx.store, p["upload"], number)
    os.replace(body, part)
    write_atomic(part.with_name(part.name + ".etag"), etag)
    return Response(b"", headers={"ETag": f'"{etag}"'})


def complete(ctx: Ctx, p: Params) -> Response:
    """The multipart completion POST: every part, in order, with its ETag; then the object is stored."""
    fields = _checked(ctx)
    size, chunk, oid = int(fields["size"]), int(fields["chunk"]), p["oid"]
    try:
        body = json.loads(ctx.body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise bad_request("The completion body must be JSON") from None
    parts = body.get("parts") if isinstance(body, dict) else None
    count = ceil(size / chunk)
    if not isinstance(parts, list) or [q.get("partNumber") for q in parts if isinstance(q, dict)] != list(
        range(1, count + 1)
    ):
        raise bad_request(f'"parts" must list parts 1 to {count} in order, each with its "etag"')
    if body.get("oid") != oid:
        raise bad_request('"oid" must be the oid of this upload')
    paths = [_part_path(ctx.store, p["upload"], number) for number in range(1, count + 1)]
    for number, (part, path) in enumerate(zip(parts, paths, strict=True), start=1):
        sidecar = path.with_name(path.name + ".etag")
        if not path.is_file() or not sidecar.is_file():
            raise bad_request(f"Part {number} was never uploaded")
        if str(part.get("etag", "")).strip('"') != sidecar.read_text(encoding="utf-8"):
            raise bad_request(f"Part {number}: the ETag does not match the uploaded part")
    whole = ctx.store.temp_path()
    with open_private(whole) as out:
        for path in paths:
            with open(path, "rb") as part_file:
                shutil.copyfileobj(part_file, out, 1024 * 1024)
    for path in paths:
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".etag").unlink(missing_ok=True)
    ctx.store.put_lfs(oid, whole, size)
    return _lfs_json({"oid": oid, "size": size})


def verify(ctx: Ctx, p: Params) -> Response:
    _repo(ctx, p)
    body = ctx.json()
    oid, size = body.get("oid"), body.get("size")
    if not isinstance(oid, str) or not isinstance(size, int) or not ctx.store.has_lfs(oid):
        raise HubError(404, f"Object {oid} was not uploaded")
    stored = ctx.store.lfs_path(oid).stat().st_size
    if stored != size:
        raise HubError(422, f"Object {oid} has {stored} bytes, not {size}")
    return _lfs_json({"oid": oid, "size": size})


def _part_number(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise bad_request(f"Invalid part number {text!r}")
    return int(text)


def _part_path(store: Store, upload_id: str, number: int) -> Path:
    if not upload_id.isalnum():
        raise bad_request("Invalid upload id")
    return store.root / "tmp" / f"{upload_id}.part{number}"


def _md5(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()
