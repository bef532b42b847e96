"""The local Hub's Xet CAS: tokens, xorb and shard uploads and global dedup, under `<state>/cas/`.

Follows the Xet Protocol Specification's "CAS API" and "Upload Protocol" (huggingface.co/docs/xet)
and what hf_xet sends (xet-core `remote_client.rs`). Layout: `cas/xorbs/<2>/<hash>` (the xorb as
uploaded) with `<hash>.json` (its chunk index), `cas/files/<2>/<hash>.json` (a file's terms, size
and sha256), `cas/shards/<sha256>` (each accepted shard), `cas/dedup/<2>/<chunk>` (the xorb of a
global-dedup-eligible chunk). Content itself lands in the Store by sha256 (`Store.put_lfs`), so
tree, resolve and downloads work whichever transport wrote it. Anything this CAS cannot serve
faithfully is an error that names `HF_HUB_DISABLE_XET=1`, never a silent difference.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.responses import Response

from reconciler.files import open_private, private_dir
from reconciler.localhub import xet_formats as fmt
from reconciler.localhub.errors import HubError
from reconciler.localhub.state import Store, write_atomic
from reconciler.localhub.web import Ctx, json_response

Params = dict[str, str]
CAS_PREFIX = "/cas"
FALLBACK = "set HF_HUB_DISABLE_XET=1 to upload and download through the LFS API instead"
TOKEN_SECONDS = 3600
DEDUP_SHARD_SECONDS = 7 * 24 * 3600  # spec: dedup shards expire "in the order of days or weeks"


@dataclass(frozen=True)
class XetToken:
    user: str
    repo: str
    write: bool
    expires: float


class CasState:
    """What lives only in memory: issued access tokens and the key that signs fetch URLs."""

    def __init__(self) -> None:
        self.tokens: dict[str, XetToken] = {}
        self.url_key = secrets.token_bytes(32)
        self.lock = threading.Lock()


_STATES: weakref.WeakKeyDictionary[Store, CasState] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def state(store: Store) -> CasState:
    with _STATES_LOCK:
        return _STATES.setdefault(store, CasState())


def issue_token(store: Store, user: str, repo: str, write: bool) -> tuple[str, int]:
    token = f"xet_local_{secrets.token_urlsafe(24)}"
    expires = int(store.clock.now()) + TOKEN_SECONDS
    cas = state(store)
    with cas.lock:
        cas.tokens = {t: info for t, info in cas.tokens.items() if info.expires > store.clock.now()}
        cas.tokens[token] = XetToken(user, repo, write, expires)
    return token, expires


def authorize(ctx: Ctx, write: bool) -> XetToken:
    scheme, _, value = ctx.headers.get("authorization", "").partition(" ")
    info = state(ctx.store).tokens.get(value.strip()) if scheme.lower() == "bearer" else None
    if info is None or info.expires <= ctx.store.clock.now():
        # Spec "Error Cases": 401 means refresh the token (hf_xet calls the token URL again).
        raise HubError(401, "Missing, unknown or expired Xet access token")
    if write and not info.write:
        raise HubError(403, "This Xet token has the read scope; this call needs a write token")
    return info


# ---------------------------------------------------------------------- storage


def _root(store: Store) -> Path:
    return store.root / "cas"


def cas_path(store: Store, kind: str, name: str, suffix: str = "") -> Path:
    return _root(store) / kind / name[:2] / f"{name}{suffix}"


def _write(path: Path, data: bytes) -> None:
    private_dir(path.parent)
    write_atomic(path, data)


def hash_param(text: str) -> bytes:
    try:
        return fmt.hash_from_hex(text)
    except fmt.XetFormatError as problem:
        raise HubError(400, str(problem)) from None


@dataclass(frozen=True)
class StoredXorb:
    hash: str
    chunks: list[tuple[bytes, int, int, int]]  # (chunk hash, header offset, stored length, length)
    size: int  # serialized bytes

    def byte_range(self, start: int, end: int) -> tuple[int, int]:
        _, offset, _, _ = self.chunks[start]
        _, last, stored, _ = self.chunks[end - 1]
        return offset, last + stored - 1


def load_xorb(store: Store, xorb: str) -> StoredXorb | None:
    index = cas_path(store, "xorbs", xorb, ".json")
    if not index.is_file():
        return None
    data = json.loads(index.read_text(encoding="utf-8"))
    chunks = [(bytes.fromhex(h), offset, stored, length) for h, offset, stored, length in data["chunks"]]
    return StoredXorb(xorb, chunks, data["size"])


def load_file(store: Store, file_id: str) -> dict[str, Any] | None:
    path = cas_path(store, "files", file_id, ".json")
    if not path.is_file():
        return None
    record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return record


# ---------------------------------------------------------------------- upload


def upload_xorb(ctx: Ctx, p: Params) -> Response:
    authorize(ctx, write=True)
    if p["prefix"] != "default":
        raise HubError(400, f"Unknown xorb prefix {p['prefix']!r}: the only prefix is 'default'")
    claimed = hash_param(p["hash"])
    try:
        xorb = fmt.parse_xorb(ctx.body)
    except fmt.XetFormatError as problem:
        raise HubError(400, f"Invalid xorb: {problem}") from None
    if xorb.hash != claimed:
        raise HubError(400, f"Xorb hash mismatch: the body hashes to {fmt.hash_hex(xorb.hash)}, not {p['hash']}")
    name = fmt.hash_hex(xorb.hash)
    if load_xorb(ctx.store, name) is not None:
        return json_response({"was_inserted": False})
    _write(cas_path(ctx.store, "xorbs", name), ctx.body)
    index = {
        "size": len(ctx.body),
        "chunks": [[c.hash.hex(), c.offset, c.stored_len, c.length] for c in xorb.chunks],
    }
    # The index is written last: a xorb exists once its index does.
    _write(cas_path(ctx.store, "xorbs", name, ".json"), json.dumps(index, separators=(",", ":")).encode())
    ctx.store.event("cas", "xorb", f"{name} {len(xorb.chunks)} chunks {len(ctx.body)} bytes")
    return json_response({"was_inserted": True})


def upload_shard(ctx: Ctx, p: Params) -> Response:
    """POST /v1/shards: JSON `{"result": 0|1}` (0: this exact shard was already registered)."""
    existed = _register_shard(ctx)
    return json_response({"result": 0 if existed else 1})


def upload_shard_v2(ctx: Ctx, p: Params) -> Response:
    """POST /v2/shards: the same work, answered as an NDJSON stream ending in a terminal `result` frame.

    Validation is done before answering, so a bad shard is a plain 400 (the spec allows it) and a
    good one a single `{"type": "result"}` frame.
    """
    _register_shard(ctx)
    return Response(b'{"type":"result"}\n', media_type="application/x-ndjson")


def _register_shard(ctx: Ctx) -> bool:
    authorize(ctx, write=True)
    try:
        shard = fmt.parse_shard(ctx.body)
    except fmt.XetFormatError as problem:
        raise HubError(400, f"Invalid shard: {problem}") from None
    store = ctx.store
    xorbs: dict[bytes, StoredXorb] = {}
    for info in shard.xorbs:
        xorbs[info.xorb] = _check_cas_info(store, info)
    plans = [(info, _check_file(store, info, xorbs)) for info in shard.files]
    shard_id = hashlib.sha256(ctx.body).hexdigest()
    shard_path = _root(store) / "shards" / shard_id
    existed = shard_path.is_file()
    for file_info, chunk_lengths in plans:
        _store_file(store, file_info, xorbs, chunk_lengths)
    for cas_info in shard.xorbs:
        for chunk in cas_info.chunks:
            if chunk.flags & fmt.CHUNK_FLAG_GLOBAL_DEDUP or fmt.is_global_dedup_eligible(chunk.hash):
                _write(cas_path(store, "dedup", fmt.hash_hex(chunk.hash)), fmt.hash_hex(cas_info.xorb).encode())
    if not existed:
        _write(shard_path, ctx.body)
    return existed


def _xorb(store: Store, raw: bytes, cache: dict[bytes, StoredXorb], what: str) -> StoredXorb:
    if raw not in cache:
        found = load_xorb(store, fmt.hash_hex(raw))
        if found is None:
            raise HubError(400, f"Invalid shard: {what} references xorb {fmt.hash_hex(raw)}, which was never uploaded")
        cache[raw] = found
    return cache[raw]


def _check_cas_info(store: Store, info: fmt.CasInfo) -> StoredXorb:
    xorb = _xorb(store, info.xorb, {}, "its CAS info section")
    if [(c.hash, c.length) for c in info.chunks] != [(h, length) for h, _, _, length in xorb.chunks]:
        raise HubError(400, f"Invalid shard: the CAS info of xorb {xorb.hash} does not match the uploaded xorb")
    return xorb


def _check_file(store: Store, info: fmt.FileInfo, xorbs: dict[bytes, StoredXorb]) -> list[tuple[bytes, int]]:
    """The file's (chunk hash, length) list, after checking every term against the stored xorbs."""
    name = fmt.hash_hex(info.hash)
    if info.verification is None:
        raise HubError(400, f"Invalid shard: file {name} has no verification entries (the spec requires them)")
    chunks: list[tuple[bytes, int]] = []
    for term, expected in zip(info.terms, info.verification, strict=True):
        xorb = _xorb(store, term.xorb, xorbs, f"file {name}")
        if term.end > len(xorb.chunks):
            raise HubError(400, f"Invalid shard: file {name} asks chunks [{term.start}, {term.end}) of {xorb.hash}")
        selected = xorb.chunks[term.start : term.end]
        if sum(c[3] for c in selected) != term.unpacked_bytes:
            raise HubError(400, f"Invalid shard: a term of file {name} has the wrong unpacked length")
        if fmt.verification_hash(c[0] for c in selected) != expected:
            raise HubError(400, f"Invalid shard: a verification hash of file {name} does not match xorb {xorb.hash}")
        chunks.extend((c[0], c[3]) for c in selected)
    if fmt.file_hash(chunks) != info.hash:
        raise HubError(400, f"Invalid shard: the chunks of file {name} do not hash to its file hash")
    return chunks


def _store_file(
    store: Store, info: fmt.FileInfo, xorbs: dict[bytes, StoredXorb], chunks: list[tuple[bytes, int]]
) -> None:
    """Rebuild the file from its xorbs, streaming through a temp file, and store it by sha256."""
    name = fmt.hash_hex(info.hash)
    size = sum(length for _, length in chunks)
    known = load_file(store, name)
    if known is not None and store.has_lfs(known["sha256"]) and info.sha256 in (None, known["sha256"]):
        # Same file hash, same chunks (checked above): the content is already in the store.
        return
    digest = hashlib.sha256()
    temp = store.temp_path()  # put_lfs moves a file from here into place instead of copying it
    try:
        with open_private(temp) as out:
            for term in info.terms:
                xorb = xorbs[term.xorb]
                for data in _term_data(store, xorb, term.start, term.end):
                    digest.update(data)
                    out.write(data)
        sha256 = digest.hexdigest()
        if info.sha256 is not None and info.sha256 != sha256:
            raise HubError(400, f"Invalid shard: the sha256 in the metadata of file {name} is not its content's")
        if store.xet_hash(sha256) != name:
            store.put_lfs(sha256, temp, size, xet_hash=name)
    finally:
        temp.unlink(missing_ok=True)
    record = {"size": size, "sha256": sha256, "terms": [[fmt.hash_hex(t.xorb), t.start, t.end] for t in info.terms]}
    _write(cas_path(store, "files", name, ".json"), json.dumps(record, separators=(",", ":")).encode())
    if info.terms:
        first = xorbs[info.terms[0].xorb]
        # The first chunk of every file is eligible for global dedup (spec "Eligibility Criteria").
        _write(cas_path(store, "dedup", fmt.hash_hex(first.chunks[info.terms[0].start][0])), first.hash.encode())
    store.event("cas", "file", f"{name} sha256 {sha256} {size} bytes")


def _term_data(store: Store, xorb: StoredXorb, start: int, end: int) -> list[bytes]:
    first, last = xorb.byte_range(start, end)
    with open(cas_path(store, "xorbs", xorb.hash), "rb") as handle:
        handle.seek(first)
        raw = handle.read(last - first + 1)
    try:
        return [data for _, _, data in fmt.iter_chunk_data(raw)]
    except fmt.XetFormatError as problem:
        raise HubError(500, f"Stored xorb {xorb.hash} is damaged: {problem}") from None


# ---------------------------------------------------------------------- global dedup


def query_chunk(ctx: Ctx, p: Params) -> Response:
    """GET /v1/chunks/default-merkledb/{hash}: a shard describing the xorb that holds the chunk, or 404."""
    authorize(ctx, write=False)
    # The spec names the prefix `default-merkledb`; hf_xet 1.8 sends `default` (recorded). Both mean the one table.
    if p["prefix"] not in ("default-merkledb", "default"):
        raise HubError(400, f"Unknown dedup prefix {p['prefix']!r}: the only prefix is 'default-merkledb'")
    chunk = fmt.hash_hex(hash_param(p["hash"]))
    pointer = cas_path(ctx.store, "dedup", chunk)
    xorb = load_xorb(ctx.store, pointer.read_text().strip()) if pointer.is_file() else None
    if xorb is None:
        raise HubError(404, f"Chunk {chunk} is not tracked by global deduplication")
    chunks, offset = [], 0
    for chunk_raw, _, _, length in xorb.chunks:
        chunks.append(fmt.CasChunk(chunk_raw, offset, length, 0))
        offset += length
    info = fmt.CasInfo(fmt.hash_from_hex(xorb.hash), chunks, offset, xorb.size)
    now = int(ctx.store.clock.now())
    body = fmt.serialize_dedup_shard([info], secrets.token_bytes(32), now, now + DEDUP_SHARD_SECONDS)
    return Response(body, media_type="application/octet-stream")


def no_upload_grants(ctx: Ctx, p: Params) -> Response:
    """POST /v1/xorb-grants/{prefix}/{hash}: not in the published CAS API, so answered 404.

    hf_xet 1.8 asks for an upload grant before each xorb (recorded); xet-core's client README
    says a 404 here makes it upload that xorb through `POST /v1/xorbs/{prefix}/{hash}`, the
    route the spec documents. So every xorb costs one refused grant request, then one upload.
    The hf-xet v1.8.0 release notes call these grants experimental, enabled by the Hub's CAS
    gradually, with the existing path for other uploads: a CAS that refuses them is one the
    Hub runs today.
    """
    raise HubError(404, "Xorb upload grants are not offered by the local Hub; upload through POST /v1/xorbs")


def not_served(ctx: Ctx, p: Params) -> Response:
    """Any other CAS route: the local Hub does not implement it, and says how to do without."""
    raise HubError(501, f"The local Hub's Xet CAS does not serve {ctx.method} {ctx.raw_path}; {FALLBACK}")
