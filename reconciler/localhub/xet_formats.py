"""Xet wire formats: hashes, xorbs and shards, as the Xet Protocol Specification defines them.

Sources (huggingface.co/docs/xet): "Hashing" (keyed BLAKE3 chunk hashes, the aggregated merkle
hash of xorbs and files, term verification hashes), "CAS API" (hash strings: each 8-byte word
printed as a little-endian u64), "Xorb Format" (chunk headers, compression schemes, the
XorbObjectInfo footer), "Shard Format" (header, file info and CAS info sections, bookends,
footer). Where the spec leaves a layout out (the footer's sections, the merkle cut rule), the
reference client's source, xet-core (`xorb_object_format.rs`, `aggregated_hashes.rs`), decides.
Everything here is pure: bytes in, values out, `XetFormatError` on anything malformed.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import blake3
import lz4.frame  # type: ignore[import-untyped]

HASH_LEN = 32
# Keys of the spec's "Hashing" page.
DATA_KEY = bytes(
    [102, 151, 245, 119, 91, 149, 80, 222, 49, 53, 203, 172, 165, 151, 24, 28,
     157, 228, 33, 16, 155, 235, 43, 88, 180, 208, 176, 75, 147, 173, 242, 41]
)  # fmt: skip
INTERNAL_NODE_KEY = bytes(
    [1, 126, 197, 199, 165, 71, 41, 150, 253, 148, 102, 102, 180, 138, 2, 230,
     93, 221, 83, 111, 55, 199, 109, 210, 248, 99, 82, 230, 74, 83, 113, 63]
)  # fmt: skip
VERIFICATION_KEY = bytes(
    [127, 24, 87, 214, 206, 86, 237, 102, 18, 127, 249, 19, 231, 165, 195, 243,
     164, 205, 38, 213, 181, 219, 73, 230, 65, 36, 152, 127, 40, 251, 148, 195]
)  # fmt: skip
# Merkle aggregation (xet-core aggregated_hashes.rs): groups of 2..9 nodes, cut after a node whose
# last 8 bytes (little-endian) are divisible by 4.
_MEAN_BRANCHING = 4
_MAX_GROUP = 2 * _MEAN_BRANCHING + 1
# Global dedup eligibility ("Deduplication": last 8 bytes as little-endian u64 % 1024 == 0).
GLOBAL_DEDUP_MODULUS = 1024

# Xorb format.
CHUNK_HEADER_LEN = 8
# The 64 MiB xorb limit. The spec ("Xorb Format") puts it on the serialized xorb; the reference client
# (xet-core xorb_object/constants.rs MAX_XORB_BYTES, applied in deduplication/file_deduplication.rs)
# puts it on the chunks' uncompressed bytes, and stores a chunk uncompressed when LZ4 does not shrink it
# (xorb_chunk_format.rs serialize_chunk), so a xorb of incompressible data is 64 MiB plus 8 header bytes
# per chunk when serialized (seen: 67,115,028 bytes from hf_xet 1.8 for random data). huggingface.js
# (createXorbs.ts) fills a 64 MiB serialized buffer instead, whose content can exceed 64 MiB. The Hub takes
# both clients' xorbs, so a xorb is refused when it is over the limit by both measures, and only then.
MAX_XORB_BYTES = 64 * 1024 * 1024
MAX_CHUNK_BYTES = 128 * 1024
COMPRESSION_NONE, COMPRESSION_LZ4, COMPRESSION_BG4_LZ4 = 0, 1, 2
_XORB_IDENT = b"XETBLOB"
_XORB_HASHES_IDENT = b"XBLBHSH"
_XORB_BOUNDARIES_IDENT = b"XBLBBND"

# Shard format.
SHARD_HEADER_TAG = b"HFRepoMetaData\x00" + bytes(
    [85, 105, 103, 69, 106, 123, 129, 87, 131, 165, 189, 217, 92, 205, 209, 74, 169]
)
SHARD_HEADER_VERSION = 2
SHARD_FOOTER_VERSION = 1
SHARD_FOOTER_LEN = 200
ENTRY_LEN = 48
FILE_FLAG_WITH_VERIFICATION = 1 << 31
FILE_FLAG_WITH_METADATA_EXT = 1 << 30
CHUNK_FLAG_GLOBAL_DEDUP = 1 << 31
BOOKEND = b"\xff" * HASH_LEN + b"\x00" * 16


class XetFormatError(ValueError):
    """Bytes that do not follow the Xet format; the message says where."""


# ---------------------------------------------------------------------- hashes


def hash_hex(raw: bytes) -> str:
    """The spec's string form: each 8-byte word read as a little-endian u64, printed as 16 hex digits."""
    return "".join(f"{word:016x}" for word in struct.unpack("<4Q", raw))


def hash_from_hex(text: str) -> bytes:
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise XetFormatError(f"Invalid Xet hash {text!r}: expected 64 lowercase hex digits")
    return struct.pack("<4Q", *(int(text[i : i + 16], 16) for i in range(0, 64, 16)))


def chunk_hash(data: bytes) -> bytes:
    return blake3.blake3(data, key=DATA_KEY).digest()


def _low_word(raw: bytes) -> int:
    return int.from_bytes(raw[24:32], "little")


def is_global_dedup_eligible(raw: bytes) -> bool:
    return _low_word(raw) % GLOBAL_DEDUP_MODULUS == 0


def _merge(nodes: list[tuple[bytes, int]]) -> tuple[bytes, int]:
    text = "".join(f"{hash_hex(node)} : {size}\n" for node, size in nodes)
    return blake3.blake3(text.encode("ascii"), key=INTERNAL_NODE_KEY).digest(), sum(size for _, size in nodes)


def _cut(nodes: list[tuple[bytes, int]], start: int) -> int:
    remaining = len(nodes) - start
    if remaining <= 2:
        return remaining
    end = min(_MAX_GROUP, remaining)
    for index in range(2, end):
        if _low_word(nodes[start + index][0]) % _MEAN_BRANCHING == 0:
            return index + 1
    return end


def merkle_hash(chunks: Iterable[tuple[bytes, int]]) -> bytes:
    """The aggregated hash of (chunk hash, chunk length) pairs: the xorb hash of a xorb's chunks."""
    nodes = list(chunks)
    if not nodes:
        return bytes(HASH_LEN)
    while len(nodes) > 1:
        merged, index = [], 0
        while index < len(nodes):
            cut = index + _cut(nodes, index)
            merged.append(_merge(nodes[index:cut]))
            index = cut
        nodes = merged
    return nodes[0][0]


def file_hash(chunks: Iterable[tuple[bytes, int]]) -> bytes:
    """The file hash: the merkle hash of the file's chunks, keyed-hashed again with a zero key."""
    nodes = list(chunks)
    if not nodes:
        return bytes(HASH_LEN)
    return blake3.blake3(merkle_hash(nodes), key=bytes(HASH_LEN)).digest()


def verification_hash(chunk_hashes: Iterable[bytes]) -> bytes:
    """The term verification hash: keyed BLAKE3 over the raw chunk hashes of the term's range."""
    return blake3.blake3(b"".join(chunk_hashes), key=VERIFICATION_KEY).digest()


def hmac(raw: bytes, key: bytes) -> bytes:
    """The protection of chunk hashes in global dedup shards (spec: "HMAC Key Protection")."""
    return blake3.blake3(raw, key=key).digest()


# ---------------------------------------------------------------------- xorbs


@dataclass(frozen=True)
class Chunk:
    hash: bytes
    offset: int  # where its header starts in the serialized xorb
    stored_len: int  # header + compressed bytes
    length: int  # uncompressed length


@dataclass(frozen=True)
class Xorb:
    hash: bytes
    chunks: list[Chunk]
    chunks_end: int  # byte offset where the chunk sequence ends (the footer, if any, starts)

    @property
    def total_length(self) -> int:
        return sum(chunk.length for chunk in self.chunks)

    def byte_range(self, start: int, end: int) -> tuple[int, int]:
        """Serialized bytes [first, last] (inclusive, as in an HTTP Range) of chunks [start, end)."""
        last = self.chunks[end - 1]
        return self.chunks[start].offset, last.offset + last.stored_len - 1


def decompress(scheme: int, data: bytes, length: int) -> bytes:
    """Chunk data per its compression scheme ("Chunk Compression Schemes"); checks the length."""
    if scheme == COMPRESSION_NONE:
        raw = data
    elif scheme in (COMPRESSION_LZ4, COMPRESSION_BG4_LZ4):
        try:
            # xet-core compresses with LZ4 frames (lz4_flex::frame).
            raw = lz4.frame.decompress(data)
        except RuntimeError as problem:
            raise XetFormatError(f"LZ4 data does not decompress: {problem}") from None
        if scheme == COMPRESSION_BG4_LZ4:
            raw = _bg4_regroup(raw)
    else:
        raise XetFormatError(f"Unknown chunk compression scheme {scheme}")
    if len(raw) != length:
        raise XetFormatError(f"Chunk decompresses to {len(raw)} bytes, its header says {length}")
    return raw


def _bg4_regroup(grouped: bytes) -> bytes:
    """Undo byte grouping: group k holds bytes k, k+4, k+8, ...; the first groups take the remainder."""
    size = len(grouped)
    out = bytearray(size)
    position = 0
    for k in range(4):
        count = len(range(k, size, 4))
        out[k::4] = grouped[position : position + count]
        position += count
    return bytes(out)


def read_chunk_header(data: bytes, offset: int) -> tuple[int, int, int]:
    """(compressed size, scheme, uncompressed size) of the chunk whose header starts at `offset`."""
    if offset + CHUNK_HEADER_LEN > len(data):
        raise XetFormatError(f"Truncated chunk header at byte {offset}")
    header = data[offset : offset + CHUNK_HEADER_LEN]
    if header[0] != 0:
        raise XetFormatError(f"Unsupported chunk header version {header[0]} at byte {offset}")
    compressed = int.from_bytes(header[1:4], "little")
    uncompressed = int.from_bytes(header[5:8], "little")
    if uncompressed > MAX_CHUNK_BYTES:
        raise XetFormatError(f"Chunk at byte {offset} is {uncompressed} bytes, over the 128 KiB maximum")
    return compressed, header[4], uncompressed


def iter_chunk_data(data: bytes, end: int | None = None) -> Iterator[tuple[int, int, bytes]]:
    """(header offset, stored length, uncompressed bytes) of each chunk in `data[:end]`."""
    limit = len(data) if end is None else end
    offset = 0
    while offset < limit:
        compressed, scheme, length = read_chunk_header(data, offset)
        body_start = offset + CHUNK_HEADER_LEN
        if body_start + compressed > limit:
            raise XetFormatError(f"Chunk at byte {offset} runs past the end of the chunk sequence")
        yield (
            offset,
            CHUNK_HEADER_LEN + compressed,
            decompress(scheme, data[body_start : body_start + compressed], length),
        )
        offset = body_start + compressed


@dataclass(frozen=True)
class XorbFooter:
    hash: bytes
    chunk_hashes: list[bytes]
    boundaries: list[int]  # end offset of each chunk in the serialized chunk sequence
    unpacked: list[int]  # end offset of each chunk in the uncompressed content
    length: int  # footer bytes, including the trailing u32


def parse_xorb_footer(data: bytes) -> XorbFooter:
    """The XorbObjectInfo (version 1) at the end of a serialized xorb ("Xorb Footer")."""
    if len(data) < 4:
        raise XetFormatError("Xorb too short for its footer length")
    info_len = int.from_bytes(data[-4:], "little")
    start = len(data) - 4 - info_len
    if info_len < 8 or start < 0:
        raise XetFormatError(f"Xorb footer length {info_len} does not fit the {len(data)}-byte xorb")
    info = data[start:-4]
    if info[:7] != _XORB_IDENT:
        raise XetFormatError("Xorb footer does not start with XETBLOB")
    if info[7] != 1:
        raise XetFormatError(f"Unsupported xorb footer version {info[7]}")
    try:
        return _parse_footer_v1(info, info_len + 4)
    except (struct.error, IndexError):
        raise XetFormatError("Truncated xorb footer") from None


def _parse_footer_v1(info: bytes, length: int) -> XorbFooter:
    position = 8
    xorb = info[position : position + HASH_LEN]
    position += HASH_LEN
    if info[position : position + 7] != _XORB_HASHES_IDENT:
        raise XetFormatError("Xorb footer lacks its XBLBHSH section")
    (count,) = struct.unpack_from("<I", info, position + 8)
    position += 12
    hashes = [info[position + i * HASH_LEN : position + (i + 1) * HASH_LEN] for i in range(count)]
    position += count * HASH_LEN
    if info[position : position + 7] != _XORB_BOUNDARIES_IDENT:
        raise XetFormatError("Xorb footer lacks its XBLBBND section")
    (count_again,) = struct.unpack_from("<I", info, position + 8)
    position += 12
    if count_again != count:
        raise XetFormatError("Xorb footer sections disagree on the number of chunks")
    boundaries = list(struct.unpack_from(f"<{count}I", info, position))
    position += 4 * count
    unpacked = list(struct.unpack_from(f"<{count}I", info, position))
    position += 4 * count
    (count_tail, _, _) = struct.unpack_from("<3I", info, position)
    position += 12 + 16  # offsets from the end, then the nonce/reserved buffer (ignored, per the spec)
    if count_tail != count or position != len(info):
        raise XetFormatError("Xorb footer has an inconsistent layout")
    if len(hashes[-1:]) and len(hashes[-1]) != HASH_LEN:
        raise XetFormatError("Truncated xorb footer hashes")
    return XorbFooter(xorb, hashes, boundaries, unpacked, length)


def has_xorb_footer(data: bytes) -> bool:
    """Whether `data` ends with an XorbObjectInfo footer (hf_xet 1.8 uploads the chunk sequence alone)."""
    if len(data) < 12:
        return False
    start = len(data) - 4 - int.from_bytes(data[-4:], "little")
    return start >= 0 and data[start : start + 7] == _XORB_IDENT


def parse_xorb(data: bytes) -> Xorb:
    """Parse and verify a serialized xorb: every chunk decompresses to its stated length and hashes.

    The upload body is the chunk sequence, optionally followed by the footer (recorded: hf_xet 1.8
    sends no footer; the spec's "Xorb Format" describes one). When a footer is there, its chunk
    hashes, boundaries and xorb hash must agree with the chunks. The caller compares `hash` with
    the hash the xorb was uploaded under.
    """
    footer = parse_xorb_footer(data) if has_xorb_footer(data) else None
    chunks_end = len(data) - footer.length if footer else len(data)
    chunks: list[Chunk] = []
    unpacked_end = 0
    for offset, stored, content in iter_chunk_data(data, chunks_end):
        unpacked_end += len(content)
        if unpacked_end > MAX_XORB_BYTES and chunks_end > MAX_XORB_BYTES:
            raise XetFormatError(
                f"Xorb is {chunks_end} bytes serialized and holds over {unpacked_end} bytes of content: "
                "over the 64 MiB limit by both measures"
            )
        chunks.append(Chunk(chunk_hash(content), offset, stored, len(content)))
        if footer is None:
            continue
        index = len(chunks) - 1
        if index >= len(footer.chunk_hashes) or chunks[-1].hash != footer.chunk_hashes[index]:
            raise XetFormatError(f"Chunk {index} does not match its hash in the xorb footer")
        if footer.boundaries[index] != offset + stored or footer.unpacked[index] != unpacked_end:
            raise XetFormatError(f"Chunk {index} does not match its boundaries in the xorb footer")
    if not chunks:
        raise XetFormatError("Xorb holds no chunks")
    computed = merkle_hash((chunk.hash, chunk.length) for chunk in chunks)
    if footer is not None and (len(chunks) != len(footer.chunk_hashes) or computed != footer.hash):
        raise XetFormatError("The xorb footer does not describe its chunks (count or merkle hash)")
    return Xorb(computed, chunks, chunks_end)


# ---------------------------------------------------------------------- shards


@dataclass(frozen=True)
class Term:
    xorb: bytes
    unpacked_bytes: int
    start: int  # chunk index range [start, end) in the xorb
    end: int


@dataclass(frozen=True)
class FileInfo:
    hash: bytes
    terms: list[Term]
    verification: list[bytes] | None  # one range hash per term
    # The metadata extension's sha256, as hex. Recorded: hf_xet stores it like every other hash
    # (MerkleHash::from_hex, 8-byte little-endian words), so `hash_hex` of the raw field is the sha256.
    sha256: str | None


@dataclass(frozen=True)
class CasChunk:
    hash: bytes
    byte_start: int  # offset of the chunk in the xorb's uncompressed content
    length: int
    flags: int


@dataclass(frozen=True)
class CasInfo:
    xorb: bytes
    chunks: list[CasChunk]
    num_bytes: int
    num_bytes_on_disk: int


@dataclass(frozen=True)
class Shard:
    files: list[FileInfo]
    xorbs: list[CasInfo]
    hmac_key: bytes  # zero unless the footer says otherwise


def parse_shard(data: bytes) -> Shard:
    """Parse a shard: header, file info section, CAS info section, and the footer if there is one."""
    try:
        return _parse_shard(data)
    except struct.error:
        raise XetFormatError("Truncated shard") from None


def _parse_shard(data: bytes) -> Shard:
    if len(data) < 48 or data[:32] != SHARD_HEADER_TAG:
        raise XetFormatError("Not a shard: the header tag is missing")
    version, footer_size = struct.unpack_from("<QQ", data, 32)
    if version != SHARD_HEADER_VERSION:
        raise XetFormatError(f"Unsupported shard header version {version}")
    if footer_size not in (0, SHARD_FOOTER_LEN):
        raise XetFormatError(f"Unsupported shard footer size {footer_size}")
    body_end = len(data) - footer_size
    key = bytes(HASH_LEN)
    if footer_size:
        footer = data[body_end:]
        if struct.unpack_from("<Q", footer)[0] != SHARD_FOOTER_VERSION:
            raise XetFormatError(f"Unsupported shard footer version {struct.unpack_from('<Q', footer)[0]}")
        # Lookup tables sit between the CAS info section and the footer; the sections end where they start.
        lookups = struct.unpack_from("<Q", footer, 24)[0]
        if not 48 <= lookups <= body_end:
            raise XetFormatError("Shard footer points outside the shard")
        body_end, key = lookups, footer[72:104]
    position = 48
    files: list[FileInfo] = []
    while True:
        entry = _entry(data, position, body_end)
        position += ENTRY_LEN
        if entry == BOOKEND:
            break
        file_id = entry[:32]
        flags, count = struct.unpack_from("<II", entry, 32)
        terms = []
        for _ in range(count):
            item = _entry(data, position, body_end)
            position += ENTRY_LEN
            _, unpacked, start, end = struct.unpack_from("<IIII", item, 32)
            if end <= start:
                raise XetFormatError(f"Empty chunk range [{start}, {end}) in file {hash_hex(file_id)}")
            terms.append(Term(item[:32], unpacked, start, end))
        verification = None
        if flags & FILE_FLAG_WITH_VERIFICATION:
            verification = [_entry(data, position + i * ENTRY_LEN, body_end)[:32] for i in range(count)]
            position += count * ENTRY_LEN
        sha256 = None
        if flags & FILE_FLAG_WITH_METADATA_EXT:
            sha256 = hash_hex(_entry(data, position, body_end)[:32])
            position += ENTRY_LEN
        files.append(FileInfo(file_id, terms, verification, sha256))
    xorbs: list[CasInfo] = []
    while True:
        entry = _entry(data, position, body_end)
        position += ENTRY_LEN
        if entry == BOOKEND:
            break
        _, count, num_bytes, on_disk = struct.unpack_from("<IIII", entry, 32)
        chunks = []
        for _ in range(count):
            item = _entry(data, position, body_end)
            position += ENTRY_LEN
            start, length, flags = struct.unpack_from("<III", item, 32)
            chunks.append(CasChunk(item[:32], start, length, flags))
        xorbs.append(CasInfo(entry[:32], chunks, num_bytes, on_disk))
    if position != body_end:
        raise XetFormatError(f"{body_end - position} unexpected bytes after the shard's CAS info section")
    return Shard(files, xorbs, key)


def _entry(data: bytes, position: int, end: int) -> bytes:
    if position + ENTRY_LEN > end:
        raise XetFormatError(f"Shard ends inside an entry at byte {position} (a bookend is missing?)")
    return data[position : position + ENTRY_LEN]


def serialize_dedup_shard(xorbs: list[CasInfo], hmac_key: bytes, created: int, expiry: int) -> bytes:
    """A shard answering a global dedup query: no files, CAS info with HMAC-protected chunk hashes, a footer.

    The footer carries the lookup tables xet-core reads such a shard through (shard_format.rs
    `serialize_from`): truncated hash (first u64) -> entry index, sorted by key.
    """
    protect = any(hmac_key)
    body = bytearray(BOOKEND)  # the empty file info section
    cas_offset = 48 + len(body)
    xorb_lookup: list[tuple[int, int]] = []
    chunk_lookup: list[tuple[int, int, int]] = []
    index = 0
    for xorb in sorted(xorbs, key=lambda x: struct.unpack_from("<4Q", x.xorb)):
        xorb_lookup.append((_truncated(xorb.xorb), index))
        body += xorb.xorb + struct.pack("<IIII", 0, len(xorb.chunks), xorb.num_bytes, xorb.num_bytes_on_disk)
        for position, chunk in enumerate(xorb.chunks):
            stored = hmac(chunk.hash, hmac_key) if protect else chunk.hash
            body += stored + struct.pack("<IIII", chunk.byte_start, chunk.length, chunk.flags, 0)
            chunk_lookup.append((_truncated(stored), index, position))
        index += 1 + len(xorb.chunks)
    body += BOOKEND
    lookups_offset = 48 + len(body)
    xorb_table = b"".join(struct.pack("<QI", key, value) for key, value in xorb_lookup)
    chunk_table = b"".join(struct.pack("<QII", *entry) for entry in sorted(chunk_lookup, key=lambda e: e[0]))
    footer_offset = lookups_offset + len(xorb_table) + len(chunk_table)
    stored_bytes = sum(xorb.num_bytes for xorb in xorbs)
    footer = struct.pack(
        "<9Q",
        SHARD_FOOTER_VERSION,
        48,  # file info offset
        cas_offset,
        lookups_offset,  # file lookup: empty
        0,
        lookups_offset,
        len(xorb_lookup),
        lookups_offset + len(xorb_table),
        len(chunk_lookup),
    )
    footer += hmac_key + struct.pack("<QQ", created, expiry) + bytes(48)
    footer += struct.pack("<4Q", sum(x.num_bytes_on_disk for x in xorbs), stored_bytes, stored_bytes, footer_offset)
    header = SHARD_HEADER_TAG + struct.pack("<QQ", SHARD_HEADER_VERSION, SHARD_FOOTER_LEN)
    return header + bytes(body) + xorb_table + chunk_table + footer


def _truncated(raw: bytes) -> int:
    return int.from_bytes(raw[:8], "little")
