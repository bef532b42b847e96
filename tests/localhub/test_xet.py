"""Xet in the local Hub: the formats against recorded hf_xet bodies and the spec's layouts, then the
real client (huggingface_hub 2.4 + hf_xet) over HTTP against the token routes and the CAS."""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import blake3
import httpx2
import lz4.frame  # type: ignore[import-untyped]
import pytest
from huggingface_hub import CommitOperationAdd, constants
from huggingface_hub._commit_api import _upload_xet_files
from huggingface_hub.file_download import xet_get
from huggingface_hub.utils import build_hf_headers
from huggingface_hub.utils._xet import (
    XET_CONNECTION_INFO_CACHE,
    XetFileData,
    abort_xet_session,
    refresh_xet_connection_info,
)

from reconciler.localhub import LocalHub
from reconciler.localhub import xet_formats as fmt
from tests.localhub.hubtools import add_token, api, reset_stats, stats

FIXTURES = Path(__file__).parent / "fixtures" / "xet"
RECORDING = json.loads((FIXTURES / "recording.json").read_text())


def fixture_content() -> dict[str, bytes]:
    """The two files the fixtures were recorded from (same generator as fixtures/xet/record.py)."""
    text = b"".join(f"line {i:05d}: the quick brown fox jumps over the lazy dog\n".encode() for i in range(1500))
    floats = b"".join(struct.pack("<f", math.sin(i / 50.0)) for i in range(20000))
    return {"notes.txt": text, "samples.f32": floats}


def recorded(kind: str) -> tuple[str, bytes]:
    call = next(c for c in RECORDING["calls"] if kind in c["route"])
    return call["route"], (FIXTURES / call["body"]).read_bytes()


# ---------------------------------------------------------------------- hashes (spec "Hashing", "CAS API")


def test_hash_string_form_is_the_specs_little_endian_words() -> None:
    raw = bytes(range(32))
    # The example of the spec's "Converting Hashes to Strings": bytes reordered to 7..0, 15..8, 23..16,
    # 31..24. (The spec prints it with the byte 0x10 missing, 62 digits; the reordering it states is this.)
    reordered = [*range(7, -1, -1), *range(15, 7, -1), *range(23, 15, -1), *range(31, 23, -1)]
    assert fmt.hash_hex(raw) == bytes(reordered).hex()
    assert fmt.hash_hex(raw).startswith("07060504030201000f0e0d0c0b0a0908")
    assert fmt.hash_hex(raw).endswith("1f1e1d1c1b1a1918")
    assert fmt.hash_from_hex(fmt.hash_hex(raw)) == raw
    with pytest.raises(fmt.XetFormatError):
        fmt.hash_from_hex("00" * 31)


def test_chunk_and_internal_node_hashes_use_the_specs_keys() -> None:
    data = b"hello xet"
    key = bytes([102, 151, 245, 119, 91, 149, 80, 222, 49, 53, 203, 172, 165, 151, 24, 28])
    key += bytes([157, 228, 33, 16, 155, 235, 43, 88, 180, 208, 176, 75, 147, 173, 242, 41])
    assert fmt.chunk_hash(data) == blake3.blake3(data, key=key).digest()
    # Two nodes always form one group: the root is the keyed hash of the "{hash} : {size}\n" lines.
    a, b = fmt.chunk_hash(b"a" * 10), fmt.chunk_hash(b"b" * 20)
    lines = f"{fmt.hash_hex(a)} : 10\n{fmt.hash_hex(b)} : 20\n".encode()
    assert fmt.merkle_hash([(a, 10), (b, 20)]) == blake3.blake3(lines, key=fmt.INTERNAL_NODE_KEY).digest()
    assert fmt.merkle_hash([(a, 10)]) == a
    root = fmt.merkle_hash([(a, 10), (b, 20)])
    assert fmt.file_hash([(a, 10), (b, 20)]) == blake3.blake3(root, key=bytes(32)).digest()
    assert fmt.verification_hash([a, b]) == blake3.blake3(a + b, key=fmt.VERIFICATION_KEY).digest()


# ---------------------------------------------------------------------- xorbs (spec "Xorb Format")


def test_recorded_xorb_parses_and_hashes_to_the_hash_it_was_uploaded_under() -> None:
    route, body = recorded("/v1/xorbs/")
    xorb = fmt.parse_xorb(body)
    assert fmt.hash_hex(xorb.hash) == route.rsplit("/", 1)[1]
    # The recording holds both compression schemes hf_xet picks: LZ4 for text, byte grouping for floats.
    schemes = {fmt.read_chunk_header(body, chunk.offset)[1] for chunk in xorb.chunks}
    assert schemes == {fmt.COMPRESSION_LZ4, fmt.COMPRESSION_BG4_LZ4}
    content = b"".join(data for _, _, data in fmt.iter_chunk_data(body))
    assert content == b"".join(fixture_content().values())
    assert not fmt.has_xorb_footer(body)  # hf_xet 1.8 uploads the chunk sequence without the footer


def test_xorb_with_the_specs_footer_is_checked_against_its_chunks() -> None:
    _, body = recorded("/v1/xorbs/")
    xorb = fmt.parse_xorb(body)
    count = len(xorb.chunks)
    boundaries, unpacked, total = [], [], 0
    for chunk in xorb.chunks:
        boundaries.append(chunk.offset + chunk.stored_len)
        total += chunk.length
        unpacked.append(total)

    def footer(xorb_hash: bytes) -> bytes:
        # XorbObjectInfo v1: ident+version, hash, hashes section, boundaries section, fixed tail.
        info = b"XETBLOB\x01" + xorb_hash + b"XBLBHSH\x00" + struct.pack("<I", count)
        info += b"".join(c.hash for c in xorb.chunks)
        info += b"XBLBBND\x01" + struct.pack("<I", count) + struct.pack(f"<{count}I", *boundaries)
        info += struct.pack(f"<{count}I", *unpacked) + struct.pack("<3I", count, 0, 0) + bytes(16)
        return info + struct.pack("<I", len(info))

    with_footer = body + footer(xorb.hash)
    assert fmt.has_xorb_footer(with_footer)
    assert fmt.parse_xorb(with_footer).hash == xorb.hash
    with pytest.raises(fmt.XetFormatError, match="footer"):
        fmt.parse_xorb(body + footer(bytes(32)))


def test_corrupted_chunk_data_is_refused() -> None:
    _, body = recorded("/v1/xorbs/")
    damaged = bytearray(body)
    damaged[100] ^= 0xFF  # inside the first (LZ4) chunk's data
    try:
        parsed = fmt.parse_xorb(bytes(damaged))
    except fmt.XetFormatError:
        return
    assert parsed.hash != fmt.parse_xorb(body).hash


def _xorb_body(chunks: list[bytes], compress: bool = False) -> bytes:
    """A xorb as xet-core serializes it: per chunk, the 8-byte header, then the (LZ4 frame or raw) bytes."""
    out = bytearray()
    for data in chunks:
        stored = lz4.frame.compress(data) if compress else data
        scheme = fmt.COMPRESSION_LZ4 if compress else fmt.COMPRESSION_NONE
        out += b"\x00" + len(stored).to_bytes(3, "little") + bytes([scheme]) + len(data).to_bytes(3, "little")
        out += stored
    return bytes(out)


def test_a_full_xorb_of_incompressible_data_is_accepted_as_hf_xet_sends_it() -> None:
    # hf_xet cuts a xorb at 64 MiB of chunk content and stores random bytes uncompressed, so the body is
    # 64 MiB plus 8 bytes per chunk: the xorb a 2 GiB upload of random data was refused for.
    content = random.Random(12).randbytes(fmt.MAX_XORB_BYTES)
    chunks = [content[i : i + fmt.MAX_CHUNK_BYTES] for i in range(0, len(content), fmt.MAX_CHUNK_BYTES)]
    body = _xorb_body(chunks)
    assert len(body) == fmt.MAX_XORB_BYTES + 8 * 512
    xorb = fmt.parse_xorb(body)
    assert xorb.total_length == fmt.MAX_XORB_BYTES and len(xorb.chunks) == 512
    assert xorb.hash == fmt.merkle_hash((fmt.chunk_hash(c), len(c)) for c in chunks)
    # One byte more content, serialized over 64 MiB too: over the limit by both measures.
    with pytest.raises(fmt.XetFormatError, match="64 MiB"):
        fmt.parse_xorb(body + _xorb_body([b"x"]))


def test_a_xorb_whose_content_exceeds_64_mib_in_a_smaller_body_is_accepted() -> None:
    # huggingface.js fills a 64 MiB serialized buffer; compressed chunks then hold more than 64 MiB.
    chunks = [bytes([i % 251]) * fmt.MAX_CHUNK_BYTES for i in range(520)]
    body = _xorb_body(chunks, compress=True)
    assert len(body) < fmt.MAX_XORB_BYTES < sum(map(len, chunks))
    assert fmt.parse_xorb(body).total_length == 520 * fmt.MAX_CHUNK_BYTES


def test_byte_grouping_matches_the_specs_description() -> None:
    data = bytes(range(1, 11))  # A1 A2 A3 A4 B1 B2 B3 B4 C1 C2: 10 bytes, remainder 2
    grouped = bytes([1, 5, 9, 2, 6, 10, 3, 7, 4, 8])  # groups 1 and 2 take the remainder
    assert fmt.decompress(fmt.COMPRESSION_BG4_LZ4, lz4.frame.compress(grouped), len(data)) == data
    assert fmt.decompress(fmt.COMPRESSION_LZ4, lz4.frame.compress(data), len(data)) == data
    assert fmt.decompress(fmt.COMPRESSION_NONE, data, len(data)) == data
    with pytest.raises(fmt.XetFormatError, match="decompresses"):
        fmt.decompress(fmt.COMPRESSION_NONE, data, 11)
    with pytest.raises(fmt.XetFormatError, match="scheme"):
        fmt.decompress(7, data, len(data))


# ---------------------------------------------------------------------- shards (spec "Shard Format")


def test_recorded_shard_describes_the_recorded_files() -> None:
    _, body = recorded("/shards")
    _, xorb_body = recorded("/v1/xorbs/")
    xorb = fmt.parse_xorb(xorb_body)
    shard = fmt.parse_shard(body)
    assert [fmt.hash_hex(x.xorb) for x in shard.xorbs] == [fmt.hash_hex(xorb.hash)]
    assert [(c.hash, c.length) for c in shard.xorbs[0].chunks] == [(c.hash, c.length) for c in xorb.chunks]
    by_hash = {info["xet_hash"]: info for info in RECORDING["files"].values()}
    assert sorted(fmt.hash_hex(f.hash) for f in shard.files) == sorted(by_hash)
    for file in shard.files:
        expected = by_hash[fmt.hash_hex(file.hash)]
        chunks = [c for t in file.terms for c in xorb.chunks[t.start : t.end]]
        assert fmt.file_hash((c.hash, c.length) for c in chunks) == file.hash
        assert sum(c.length for c in chunks) == expected["size"]
        assert file.sha256 == expected["sha256"]
        assert file.verification == [
            fmt.verification_hash(c.hash for c in xorb.chunks[t.start : t.end]) for t in file.terms
        ]


def _spec_shard(files: list[tuple[bytes, list[tuple[bytes, int, int, int]], list[bytes]]]) -> bytes:
    """A shard laid out by hand from the spec's tables: header, file info, CAS info (empty), no footer."""
    out = fmt.SHARD_HEADER_TAG + struct.pack("<QQ", 2, 0)
    for file_hash, terms, verifications in files:
        out += file_hash + struct.pack("<II", fmt.FILE_FLAG_WITH_VERIFICATION, len(terms)) + bytes(8)
        for xorb, unpacked, start, end in terms:
            out += xorb + struct.pack("<IIII", 0, unpacked, start, end)
        out += b"".join(v + bytes(16) for v in verifications)
    return out + b"\xff" * 32 + bytes(16) + b"\xff" * 32 + bytes(16)


def test_shard_laid_out_from_the_spec_parses() -> None:
    file_hash, xorb, check = b"\x01" * 32, b"\x02" * 32, b"\x03" * 32
    shard = fmt.parse_shard(_spec_shard([(file_hash, [(xorb, 1000, 0, 3)], [check])]))
    assert shard.files == [fmt.FileInfo(file_hash, [fmt.Term(xorb, 1000, 0, 3)], [check], None)]
    assert shard.xorbs == []
    body = _spec_shard([(file_hash, [(xorb, 1000, 0, 3)], [check])])
    with pytest.raises(fmt.XetFormatError, match="bookend"):
        fmt.parse_shard(body[:-48])
    with pytest.raises(fmt.XetFormatError, match="header tag"):
        fmt.parse_shard(b"x" + body[1:])
    with pytest.raises(fmt.XetFormatError, match="Empty chunk range"):
        fmt.parse_shard(_spec_shard([(file_hash, [(xorb, 1000, 3, 3)], [check])]))


def test_dedup_shard_protects_chunk_hashes_and_carries_lookup_tables() -> None:
    chunks = [fmt.CasChunk(fmt.chunk_hash(bytes([i])), i * 10, 10, 0) for i in range(5)]
    info = fmt.CasInfo(b"\x07" * 32, chunks, 50, 90)
    key = b"\x42" * 32
    body = fmt.serialize_dedup_shard([info], key, 1000, 2000)
    shard = fmt.parse_shard(body)
    assert shard.files == [] and shard.hmac_key == key
    assert [c.hash for c in shard.xorbs[0].chunks] == [blake3.blake3(c.hash, key=key).digest() for c in chunks]
    footer = body[-200:]
    (version, file_info, cas_info, file_lookup, file_count, xorb_lookup, xorb_count, chunk_lookup, chunk_count) = (
        struct.unpack_from("<9Q", footer)
    )
    assert (version, file_info, cas_info, file_count, xorb_count, chunk_count) == (1, 48, 96, 0, 1, 5)
    assert file_lookup == xorb_lookup  # an empty file table
    assert struct.unpack_from("<QI", body, xorb_lookup) == (struct.unpack_from("<Q", info.xorb)[0], 0)
    assert struct.unpack_from("<Q", footer, 192)[0] == len(body) - 200
    keys = [struct.unpack_from("<Q", body, chunk_lookup + 16 * i)[0] for i in range(5)]
    assert keys == sorted(keys)
    assert struct.unpack_from("<QQ", footer, 104) == (1000, 2000)


# ---------------------------------------------------------------------- the real client over HTTP


@pytest.fixture
def xet_client(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """hf_xet with its cache under tmp_path: a fresh session reads HF_XET_CACHE when it starts."""
    monkeypatch.setenv("HF_XET_CACHE", str(tmp_path / "xet-cache"))
    monkeypatch.setattr(constants, "HF_XET_CACHE", str(tmp_path / "xet-cache"))
    XET_CONNECTION_INFO_CACHE.clear()
    abort_xet_session()  # the next call starts a session that sees this test's cache folder
    yield
    XET_CONNECTION_INFO_CACHE.clear()
    abort_xet_session()


def _token_url(hub: LocalHub, kind: str, repo: str, rev: str = "main") -> str:
    return f"{hub.endpoint}/api/models/{repo}/xet-{kind}-token/{rev}"


def _upload(hub: LocalHub, repo: str, files: dict[str, Path]) -> dict[str, str]:
    """Upload through huggingface_hub's own Xet path (what create_commit runs for lfs files); sha256 per path."""
    operations = [CommitOperationAdd(path_in_repo=name, path_or_fileobj=str(path)) for name, path in files.items()]
    _upload_xet_files(
        additions=operations,
        repo_type="model",
        repo_id=repo,
        headers=build_hf_headers(token=hub.token),
        endpoint=hub.endpoint,
        revision="main",
    )
    return {op.path_in_repo: op.upload_info.sha256.hex() for op in operations}


def test_token_routes_answer_what_the_client_parses(local_hub: LocalHub, xet_client: None) -> None:
    client = api(local_hub)
    client.create_repo("local/tokens", private=True)
    url = _token_url(local_hub, "write", "local/tokens")
    info = refresh_xet_connection_info(
        file_data=XetFileData("0" * 64, url), headers=build_hf_headers(token=local_hub.token)
    )
    assert info.endpoint == f"{local_hub.endpoint}/cas" and info.access_token
    with httpx2.Client() as http:
        response = http.get(url, headers={"authorization": f"Bearer {local_hub.token}"})
        # hf_xet refreshes through the same URL and reads the JSON body (xet-core CasJWTInfo).
        body = response.json()
        assert body == {"casUrl": info.endpoint, "exp": ANY_INT, "accessToken": response.headers["X-Xet-Access-Token"]}
        assert body["exp"] == int(response.headers["X-Xet-Token-Expiration"])
        assert abs(body["exp"] - info.expiration_unix_epoch) <= 5  # a new token, issued a moment later
        reader = add_token(local_hub, "hf_reader", "local", role="read")
        refused = http.get(url, headers={"authorization": f"Bearer {reader}"})
        assert refused.status_code == 403
        read = http.get(_token_url(local_hub, "read", "local/tokens"), headers={"authorization": f"Bearer {reader}"})
        assert read.status_code == 200 and read.headers["X-Xet-Access-Token"]
        anonymous = http.get(_token_url(local_hub, "read", "local/tokens"))
        assert anonymous.status_code == 401 and anonymous.headers["X-Error-Code"] == "RepoNotFound"
        missing_rev = http.get(
            _token_url(local_hub, "read", "local/tokens", "f" * 40), headers={"authorization": f"Bearer {reader}"}
        )
        assert missing_rev.headers["X-Error-Code"] == "RevisionNotFound"
        # A read token cannot write to the CAS.
        cas_token = read.headers["X-Xet-Access-Token"]
        _, xorb_body = recorded("/v1/xorbs/")
        write = http.post(
            f"{info.endpoint}/v1/xorbs/default/{'0' * 64}",
            content=xorb_body,
            headers={"authorization": f"Bearer {cas_token}"},
        )
        assert write.status_code == 403


class _AnyInt:
    def __eq__(self, other: object) -> bool:
        return isinstance(other, int) and not isinstance(other, bool)


ANY_INT: Any = _AnyInt()


def test_upload_then_download_through_xet_is_byte_exact(local_hub: LocalHub, xet_client: None, tmp_path: Path) -> None:
    api(local_hub).create_repo("local/weights")
    data = os.urandom(3 * 1024 * 1024) + b"\x00" * (1024 * 1024)  # incompressible, then very compressible
    path = tmp_path / "weights.bin"
    path.write_bytes(data)
    sha256 = _upload(local_hub, "local/weights", {"weights.bin": path})["weights.bin"]
    assert sha256 == hashlib.sha256(data).hexdigest()
    store = local_hub.store
    assert store.lfs_path(sha256).read_bytes() == data
    xet_hash = store.xet_hash(sha256)
    assert xet_hash is not None and store.sha256_of_xet(xet_hash) == sha256
    out = tmp_path / "downloaded.bin"
    xet_get(
        incomplete_path=out,
        xet_file_data=XetFileData(xet_hash, _token_url(local_hub, "read", "local/weights")),
        headers=build_hf_headers(token=local_hub.token),
        expected_size=len(data),
    )
    assert out.read_bytes() == data


def test_a_file_whose_first_xorb_is_full_of_random_bytes_uploads_and_reads_back(
    local_hub: LocalHub, xet_client: None, tmp_path: Path
) -> None:
    # hf_xet fills a xorb with 64 MiB of chunk content; random bytes are stored uncompressed, so that
    # xorb's body is 64 MiB plus 8 bytes per chunk. These seeded bytes chunk so that the first xorb ends
    # within 5 KB of 64 MiB: its body is over 64 MiB (asserted below), the case a 2 GiB upload always met.
    data = random.Random(1).randbytes(66 * 1024 * 1024)
    (tmp_path / "w.bin").write_bytes(data)
    client = api(local_hub)
    client.create_repo("local/full-xorb")
    client.upload_file(path_or_fileobj=str(tmp_path / "w.bin"), path_in_repo="w.bin", repo_id="local/full-xorb")
    sizes = sorted(json.loads(p.read_text())["size"] for p in (local_hub.store.root / "cas" / "xorbs").rglob("*.json"))
    assert len(sizes) == 2 and sizes[-1] > fmt.MAX_XORB_BYTES
    got = client.hf_hub_download("local/full-xorb", "w.bin", cache_dir=tmp_path / "dl")
    assert hashlib.sha256(Path(got).read_bytes()).digest() == hashlib.sha256(data).digest()


def test_reconstruction_of_a_range_and_signed_fetch_urls(local_hub: LocalHub, xet_client: None, tmp_path: Path) -> None:
    api(local_hub).create_repo("local/ranges")
    data = os.urandom(600_000)
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    sha256 = _upload(local_hub, "local/ranges", {"data.bin": path})["data.bin"]
    file_id = local_hub.store.xet_hash(sha256)
    with httpx2.Client() as http:
        token = http.get(
            _token_url(local_hub, "read", "local/ranges"), headers={"authorization": f"Bearer {local_hub.token}"}
        ).json()
        auth = {"authorization": f"Bearer {token['accessToken']}"}
        cas = token["casUrl"]
        plan = http.get(f"{cas}/v1/reconstructions/{file_id}", headers={**auth, "Range": "bytes=300000-300099"}).json()
        pieces = []
        for term in plan["terms"]:
            fetch = next(
                f
                for f in plan["fetch_info"][term["hash"]]
                if f["range"]["start"] <= term["range"]["start"] and f["range"]["end"] >= term["range"]["end"]
            )
            byte_range = f"bytes={fetch['url_range']['start']}-{fetch['url_range']['end']}"
            assert http.get(fetch["url"]).status_code == 403  # the signed Range header is required
            raw = http.get(fetch["url"], headers={"Range": byte_range})
            assert raw.status_code == 206
            chunks = [c for _, _, c in fmt.iter_chunk_data(raw.content)]
            skip = term["range"]["start"] - fetch["range"]["start"]
            pieces.append(b"".join(chunks[skip : skip + term["range"]["end"] - term["range"]["start"]]))
        joined = b"".join(pieces)
        offset = plan["offset_into_first_range"]
        assert joined[offset : offset + 100] == data[300000:300100]
        assert len(joined) < len(data)  # only the chunks around the range
        beyond = http.get(f"{cas}/v1/reconstructions/{file_id}", headers={**auth, "Range": f"bytes={len(data)}-"})
        assert beyond.status_code == 416
        unknown = http.get(f"{cas}/v1/reconstructions/{'0' * 64}", headers=auth)
        assert unknown.status_code == 404
        other = http.get(f"{cas}/v1/file-chunk-hashes/{file_id}", headers=auth)
        assert other.status_code == 501 and "HF_HUB_DISABLE_XET=1" in other.json()["error"]
        no_token = http.get(f"{cas}/v1/reconstructions/{file_id}")
        assert no_token.status_code == 401


def test_global_dedup_spares_the_xorb_upload_of_known_content(
    local_hub: LocalHub, xet_client: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api(local_hub)
    client.create_repo("local/first")
    client.create_repo("local/second")
    data = os.urandom(2 * 1024 * 1024)
    path = tmp_path / "model.bin"
    path.write_bytes(data)
    _upload(local_hub, "local/first", {"model.bin": path})
    xorb_route = "POST /cas/v1/xorbs/{prefix}/{hash}"
    assert stats(local_hub)["by_route"][xorb_route] >= 1
    # A client that knows nothing of the first upload: a fresh Xet cache, so only the CAS can tell it.
    monkeypatch.setenv("HF_XET_CACHE", str(tmp_path / "another-cache"))
    abort_xet_session()
    reset_stats(local_hub)
    _upload(local_hub, "local/second", {"copy.bin": path})
    by_route = stats(local_hub)["by_route"]
    assert by_route.get("GET /cas/v1/chunks/{prefix}/{hash}", 0) >= 1
    assert by_route.get(xorb_route, 0) == 0
    assert by_route.get("POST /cas/v1/xorb-grants/{prefix}/{hash}", 0) == 0
    assert by_route.get("POST /cas/v2/shards", 0) == 1


def test_corrupted_xorb_is_rejected_and_nothing_is_stored(
    local_hub: LocalHub, caplog: pytest.LogCaptureFixture
) -> None:
    api(local_hub).create_repo("local/corrupt")
    route, body = recorded("/v1/xorbs/")
    xorb_hash = route.rsplit("/", 1)[1]
    damaged = bytearray(body)
    damaged[-10] ^= 0x01  # inside the last chunk's compressed data
    with httpx2.Client() as http:
        token = http.get(
            _token_url(local_hub, "write", "local/corrupt"), headers={"authorization": f"Bearer {local_hub.token}"}
        ).json()
        auth = {"authorization": f"Bearer {token['accessToken']}"}
        refused = http.post(f"{token['casUrl']}/v1/xorbs/default/{xorb_hash}", content=bytes(damaged), headers=auth)
        assert refused.status_code == 400
        # hf_xet shows only the status and URL of a refused call; the local Hub's log says why.
        warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
        assert any(f"/v1/xorbs/default/{xorb_hash} (400): Xorb hash mismatch" in w for w in warnings), warnings
        assert not (local_hub.store.root / "cas" / "xorbs" / xorb_hash[:2] / xorb_hash).exists()
        # The shard that needs it is refused too: its xorb was never stored.
        _, shard = recorded("/shards")
        assert http.post(f"{token['casUrl']}/v1/shards", content=shard, headers=auth).status_code == 400
        accepted = http.post(f"{token['casUrl']}/v1/xorbs/default/{xorb_hash}", content=body, headers=auth)
        assert accepted.json() == {"was_inserted": True}
        again = http.post(f"{token['casUrl']}/v1/xorbs/default/{xorb_hash}", content=body, headers=auth)
        assert again.json() == {"was_inserted": False}
        registered = http.post(f"{token['casUrl']}/v1/shards", content=shard, headers=auth)
        assert registered.json() == {"result": 1}
        assert http.post(f"{token['casUrl']}/v1/shards", content=shard, headers=auth).json() == {"result": 0}
    for name, data in fixture_content().items():
        assert local_hub.store.lfs_path(RECORDING["files"][name]["sha256"]).read_bytes() == data


# ---------------------------------------------------------------------- upload_file / upload_folder / downloads


def _png(width: int, seed: int) -> bytes:
    """A small valid PNG (its bytes hold NULs: the Hub stores it as LFS)."""
    import zlib

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    rows = b"".join(b"\x00" + bytes((x * seed + y) % 256 for x in range(width * 3)) for y in range(width))
    header = struct.pack(">IIBBBBB", width, width, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def _routes(hub: LocalHub) -> dict[str, int]:
    result: dict[str, int] = stats(hub)["by_route"]
    return result


XORBS = "POST /cas/v1/xorbs/{prefix}/{hash}"
RECONSTRUCTIONS = "GET /cas/v2/reconstructions/{file_id}"


def _without_xet(monkeypatch: pytest.MonkeyPatch) -> None:
    # What HF_HUB_DISABLE_XET=1 sets when huggingface_hub is imported (constants.py); the client reads it per call.
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_XET", True)


def test_upload_file_big_binary_and_png_round_trip_through_xet_and_resolve(
    local_hub: LocalHub, xet_client: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api(local_hub)
    repo = "local/media"
    client.create_repo(repo, repo_type="space", space_sdk="gradio")
    big = os.urandom(11 * 1024 * 1024)
    image = _png(64, 7)
    (tmp_path / "big.bin").write_bytes(big)
    reset_stats(local_hub)
    client.upload_file(
        path_or_fileobj=str(tmp_path / "big.bin"), path_in_repo="data/big.bin", repo_id=repo, repo_type="space"
    )
    client.upload_file(path_or_fileobj=image, path_in_repo="logo.png", repo_id=repo, repo_type="space")
    routes = _routes(local_hub)
    assert routes.get(XORBS, 0) >= 2 and routes.get("POST /cas/v2/shards", 0) == 2
    entries = {e.path: e for e in client.list_repo_tree(repo, repo_type="space", recursive=True) if hasattr(e, "lfs")}
    for path, data in (("data/big.bin", big), ("logo.png", image)):
        entry = entries[path]
        assert entry.lfs is not None and entry.lfs.sha256 == hashlib.sha256(data).hexdigest()
        assert entry.xet_hash == local_hub.store.xet_hash(entry.lfs.sha256)
    reset_stats(local_hub)
    for path, data in (("data/big.bin", big), ("logo.png", image)):
        got = client.hf_hub_download(repo, path, repo_type="space", cache_dir=tmp_path / "xet-dl")
        assert Path(got).read_bytes() == data
    assert _routes(local_hub).get(RECONSTRUCTIONS, 0) == 2  # both came through the CAS
    _without_xet(monkeypatch)
    reset_stats(local_hub)
    for path, data in (("data/big.bin", big), ("logo.png", image)):
        got = client.hf_hub_download(repo, path, repo_type="space", cache_dir=tmp_path / "plain-dl")
        assert Path(got).read_bytes() == data
    assert _routes(local_hub).get(RECONSTRUCTIONS, 0) == 0


def test_upload_folder_with_images_and_a_50mb_file_then_snapshots(
    local_hub: LocalHub, xet_client: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = api(local_hub)
    repo = "local/gallery"
    client.create_repo(repo, repo_type="space", space_sdk="gradio")
    folder = tmp_path / "site"
    files = {
        "app.py": b"import gradio as gr\n",
        "images/a.png": _png(32, 3),
        "images/b.png": _png(48, 5),
        "weights/model.bin": os.urandom(50 * 1024 * 1024),
    }
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    client.upload_folder(folder_path=str(folder), repo_id=repo, repo_type="space")
    snapshot = Path(client.snapshot_download(repo, repo_type="space", cache_dir=tmp_path / "xet-snap"))
    for name, data in files.items():
        assert (snapshot / name).read_bytes() == data, name
    _without_xet(monkeypatch)
    plain = Path(client.snapshot_download(repo, repo_type="space", cache_dir=tmp_path / "plain-snap"))
    for name, data in files.items():
        assert (plain / name).read_bytes() == data, name


def test_reupload_of_known_content_sends_no_xorb(local_hub: LocalHub, xet_client: None, tmp_path: Path) -> None:
    client = api(local_hub)
    repo = "local/again"
    client.create_repo(repo, repo_type="space", space_sdk="gradio")
    data = os.urandom(12 * 1024 * 1024)
    client.upload_file(path_or_fileobj=data, path_in_repo="one.bin", repo_id=repo, repo_type="space")
    reset_stats(local_hub)
    client.upload_file(path_or_fileobj=data, path_in_repo="two.bin", repo_id=repo, repo_type="space")
    routes = _routes(local_hub)
    assert routes.get(XORBS, 0) == 0 and routes.get("POST /cas/v1/xorb-grants/{prefix}/{hash}", 0) == 0
    assert (
        Path(client.hf_hub_download(repo, "two.bin", repo_type="space", cache_dir=tmp_path / "dl")).read_bytes() == data
    )
