"""Output files recognised by their magic bytes, never by name or by what the app claims."""

from __future__ import annotations

HEAD = 16  # bytes read, and shown as evidence of a wrong output


def kind_of(head: bytes) -> str | None:
    """The media type the first bytes of a file show, or None when none of ours.

    Signatures: PNG spec §5.2; JPEG SOI + marker (ITU T.81); RIFF container with WEBP / WAVE
    form types; ISO BMFF `ftyp` box at offset 4 (MP4); glTF 2.0 binary header magic `glTF`.
    """
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp":
        return "video/mp4"
    if head.startswith(b"glTF"):
        return "model/gltf-binary"
    return None


def read_head(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read(HEAD)
