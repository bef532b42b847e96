"""Xet downloads from the local Hub's CAS: reconstructions (v1 and v2, with `Range`) and signed fetch URLs.

Follows the Xet Protocol Specification's "Download Protocol" and "CAS API": terms trimmed to the
chunks a range needs, `offset_into_first_range`, one presigned URL per merged chunk range, and
fetches that serve exactly the signed byte range, which the `Range` header must repeat.
"""

from __future__ import annotations

import hashlib
import hmac as std_hmac
from typing import Any

from starlette.responses import Response

from reconciler.localhub import xet_formats as fmt
from reconciler.localhub.errors import HubError
from reconciler.localhub.state import Store
from reconciler.localhub.web import Ctx, json_response
from reconciler.localhub.xet_cas import (
    CAS_PREFIX,
    Params,
    StoredXorb,
    authorize,
    cas_path,
    hash_param,
    load_file,
    load_xorb,
    state,
)

FETCH_URL_SECONDS = 3600


def _file_terms(ctx: Ctx, file_id: str) -> tuple[int, list[tuple[StoredXorb, int, int]]]:
    record = load_file(ctx.store, file_id)
    if record is None:
        raise HubError(404, f"File {file_id} is not known to this CAS")
    terms = []
    for xorb_name, start, end in record["terms"]:
        xorb = load_xorb(ctx.store, xorb_name)
        if xorb is None:
            raise HubError(500, f"Xorb {xorb_name} of file {file_id} is missing from the local Hub's CAS")
        terms.append((xorb, start, end))
    return int(record["size"]), terms


def _requested(header: str | None, size: int) -> tuple[int, int]:
    """The byte range [start, end) of a reconstruction request; 416 past the end (spec "Error Cases")."""
    if not header:
        return 0, size
    first, _, last = header.removeprefix("bytes=").partition("-")
    try:
        if not first:
            start, end = max(0, size - int(last)), size
        else:
            start, end = int(first), min(size, int(last) + 1) if last else size
    except ValueError:
        raise HubError(400, f"Invalid Range header {header!r}") from None
    if start >= size or end <= start:
        raise HubError(416, f"Range {header} is outside the {size}-byte file")
    return start, end


def _plan(ctx: Ctx, file_id: str) -> tuple[int, list[tuple[StoredXorb, int, int, int]]]:
    """(offset into the first term, [(xorb, chunk start, chunk end, unpacked length)]) for the request."""
    size, terms = _file_terms(ctx, _hash_name(file_id))
    start, end = _requested(ctx.headers.get("range"), size)
    plan: list[tuple[StoredXorb, int, int, int]] = []
    offset_into_first = 0
    position = 0
    for xorb, first, last in terms:
        kept: list[int] = []
        for index in range(first, last):
            length = xorb.chunks[index][3]
            if position + length > start and position < end:
                if not plan and not kept:
                    offset_into_first = start - position
                kept.append(index)
            position += length
        if kept:
            plan.append((xorb, kept[0], kept[-1] + 1, sum(xorb.chunks[i][3] for i in kept)))
    return offset_into_first, plan


def _hash_name(text: str) -> str:
    return fmt.hash_hex(hash_param(text))


def _fetch_ranges(plan: list[tuple[StoredXorb, int, int, int]]) -> dict[str, tuple[StoredXorb, list[list[int]]]]:
    """Per xorb, the chunk ranges to fetch: the terms' ranges, merged where they touch or overlap."""
    by_xorb: dict[str, tuple[StoredXorb, list[list[int]]]] = {}
    for xorb, start, end, _ in plan:
        by_xorb.setdefault(xorb.hash, (xorb, []))[1].append([start, end])
    for _, ranges in by_xorb.values():
        ranges.sort()
        merged: list[list[int]] = []
        for start, end in ranges:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        ranges[:] = merged
    return by_xorb


def _signed_url(ctx: Ctx, xorb: str, first: int, last: int) -> str:
    expires = int(ctx.store.clock.now()) + FETCH_URL_SECONDS
    signature = _signature(ctx.store, xorb, first, last, expires)
    return ctx.url(f"{CAS_PREFIX}/fetch/{xorb}?range={first}-{last}&expires={expires}&signature={signature}")


def _signature(store: Store, xorb: str, first: int, last: int, expires: int) -> str:
    message = f"{xorb}:{first}-{last}:{expires}".encode()
    return std_hmac.new(state(store).url_key, message, hashlib.sha256).hexdigest()


def reconstruction(ctx: Ctx, p: Params) -> Response:
    """GET /v1/reconstructions/{file_id}: terms plus presigned fetch URLs with byte ranges."""
    authorize(ctx, write=False)
    offset, plan = _plan(ctx, p["file_id"])
    fetch_info: dict[str, list[dict[str, Any]]] = {}
    for name, (xorb, ranges) in _fetch_ranges(plan).items():
        for start, end in ranges:
            first, last = xorb.byte_range(start, end)
            fetch_info.setdefault(name, []).append(
                {
                    "range": {"start": start, "end": end},
                    "url": _signed_url(ctx, name, first, last),
                    "url_range": {"start": first, "end": last},
                }
            )
    return json_response({"offset_into_first_range": offset, "terms": _terms(plan), "fetch_info": fetch_info})


def reconstruction_v2(ctx: Ctx, p: Params) -> Response:
    """GET /v2/reconstructions/{file_id}: the same plan keyed under `xorbs`, one signed URL per range.

    One range per URL keeps every fetch a single-range request (the spec allows several entries
    per xorb), so no multipart/byteranges answer is ever needed.
    """
    authorize(ctx, write=False)
    offset, plan = _plan(ctx, p["file_id"])
    xorbs: dict[str, list[dict[str, Any]]] = {}
    for name, (xorb, ranges) in _fetch_ranges(plan).items():
        for start, end in ranges:
            first, last = xorb.byte_range(start, end)
            descriptor = {"chunks": {"start": start, "end": end}, "bytes": {"start": first, "end": last}}
            xorbs.setdefault(name, []).append({"url": _signed_url(ctx, name, first, last), "ranges": [descriptor]})
    return json_response({"offset_into_first_range": offset, "terms": _terms(plan), "xorbs": xorbs})


def _terms(plan: list[tuple[StoredXorb, int, int, int]]) -> list[dict[str, Any]]:
    return [
        {"hash": xorb.hash, "unpacked_length": length, "range": {"start": start, "end": end}}
        for xorb, start, end, length in plan
    ]


def fetch(ctx: Ctx, p: Params) -> Response:
    """A presigned xorb URL: serves exactly the signed byte range, which the Range header must repeat."""
    xorb = _hash_name(p["hash"])
    signed, expires, signature = ctx.param("range") or "", ctx.param("expires") or "", ctx.param("signature") or ""
    first_text, _, last_text = signed.partition("-")
    if not (first_text.isdigit() and last_text.isdigit() and expires.isdigit()):
        raise HubError(403, "This xorb URL is not signed")
    first, last = int(first_text), int(last_text)
    if not std_hmac.compare_digest(signature, _signature(ctx.store, xorb, first, last, int(expires))):
        raise HubError(403, "The signature of this xorb URL does not match")
    if int(expires) <= ctx.store.clock.now():
        raise HubError(403, "This xorb URL has expired; ask for the reconstruction again")
    # Spec "Range Downloads": without the signed Range header the fetch is an authorization failure.
    if ctx.headers.get("range") != f"bytes={first}-{last}":
        raise HubError(403, f"This URL is signed for the header 'Range: bytes={first}-{last}'")
    stored = load_xorb(ctx.store, xorb)
    if stored is None or last >= stored.size:
        raise HubError(404, f"Xorb {xorb} has no bytes {first}-{last}")
    with open(cas_path(ctx.store, "xorbs", xorb), "rb") as handle:
        handle.seek(first)
        data = handle.read(last - first + 1)
    headers = {"Content-Range": f"bytes {first}-{last}/{stored.size}", "Accept-Ranges": "bytes"}
    return Response(data, status_code=206, headers=headers, media_type="application/octet-stream")
