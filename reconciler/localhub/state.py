"""Repositories, commits, blobs, tokens and buckets, persisted under the state directory.

Layout: `repos/<type>s/<ns>/<name>.json` (one small JSON per repo, rewritten atomically),
`blobs/<2>/<oid>` (content-addressed file contents), `commits/<2>/<sha>.json` (the file
tree of each commit, written once), `tokens.json`, `buckets.json`, `events.jsonl`,
`clock.json`, `lfs/<2>/<sha256>` (LFS and Xet file contents, keyed by sha256; a sidecar
`lfs/<2>/<sha256>.xet` holds the Xet hash of a file Xet stored, `xet/<2>/<xet hash>` names
the sha256 back), `tmp/` (uploads in progress), `digest.key` (the key of the secrets' digests).
A commit writes its blobs and tree first and the repo JSON last, so a crash leaves either the
old head or the new one. One lock guards the repos; content-addressed files need none.

The state holds tokens, private repos' files and secret digests: every folder is 0700 and every
file 0600, whatever the umask (`write_atomic` here, `private_dir` and `open_private` of
reconciler.files, which the tool's own `.reconcile/` uses too).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import threading
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reconciler.files import DIR_MODE, open_private, private_dir
from reconciler.localhub import gitobj
from reconciler.localhub.clock import Clock, iso
from reconciler.localhub.errors import HubError, entry_not_found
from reconciler.localhub.runtime import empty_run
from reconciler.localhub.uploadmode import UploadPolicy

REPO_TYPES = ("model", "dataset", "space")
DEFAULT_USER = "local"
DEFAULT_ORG = "local-org"
DIGEST_KEY_FILE = "digest.key"
# huggingface_hub's validate_repo_id (utils/_validators.py, after the Hub's own Names.ts):
# letters, digits, "-", "_", "."; "cannot start or end with '-' or '.'" (so "_" may), at most 96.
# The client says it "is not meant to replace the proper validation made on the Hub": no recording
# shows the Hub refusing a name the client passes, so the local Hub accepts exactly the client's
# names (a stricter Hub would show as a 400 at create, which apply reports with the Space id).
_NAME = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9_])?$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024

# path -> [blob oid, size, id of the commit that last changed it], plus for an LFS/Xet file a 4th
# element {"sha256", "size", "pointerSize"}: then the blob is the pointer file and `size` the
# content's size. State written before LFS support has 3-element entries only, read the same way.
Tree = dict[str, list[Any]]


def lfs_of(entry: list[Any]) -> dict[str, Any] | None:
    """The LFS metadata of a tree entry, or None for a regular file."""
    return entry[3] if len(entry) > 3 else None


def name_problem(part: str) -> str | None:
    if not _NAME.match(part) or "--" in part or ".." in part or part.endswith(".git"):
        return (
            f"Invalid name {part!r}: use letters, digits, '-', '_' and '.', not starting or ending with "
            "'-' or '.', at most 96 characters, no '--' or '..'"
        )
    return None


@dataclass
class TokenInfo:
    user: str
    role: str
    orgs: list[str]

    def member_of(self, namespace: str) -> bool:
        # Hub names are case-insensitive (hub-contract §13 "repo ids").
        folded = namespace.lower()
        return folded == self.user.lower() or folded in (org.lower() for org in self.orgs)

    def spelling(self, namespace: str) -> str:
        """The namespace as this account spells it (the user's or an org's own case)."""
        folded = namespace.lower()
        return next((name for name in (self.user, *self.orgs) if name.lower() == folded), namespace)


@dataclass
class CommitMeta:
    id: str
    parent: str | None
    title: str
    message: str
    author: str
    timestamp: float


@dataclass
class Repo:
    type: str
    id: str
    uid: str
    created: float
    modified: float
    visibility: str
    sdk: str | None
    head: str
    commits: list[CommitMeta]
    tree: Tree
    card: dict[str, Any]
    gated: Any = False
    hardware: str = "cpu-basic"
    sleep: int | None = None
    dev_mode: bool = False
    secrets: dict[str, dict[str, Any]] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    volumes: list[dict[str, Any]] | None = None
    run: dict[str, Any] = field(default_factory=empty_run)

    @property
    def namespace(self) -> str:
        return self.id.split("/")[0]

    @property
    def private(self) -> bool:
        # A protected Space shows its app and metadata to everyone; only its files stay private.
        return self.visibility == "private"

    @property
    def last_commit(self) -> CommitMeta:
        return self.commits[-1]

    def find_commit(self, sha: str) -> CommitMeta | None:
        return next((c for c in reversed(self.commits) if c.id == sha), None)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["commits"] = [asdict(c) for c in self.commits]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Repo:
        data = dict(data)
        data["commits"] = [CommitMeta(**c) for c in data["commits"]]
        return cls(**data)


@dataclass(frozen=True)
class LfsRef:
    """Content already in the LFS store, committed by reference (an `lfsFile` line)."""

    sha256: str
    size: int


@dataclass(frozen=True)
class Operation:
    """One commit operation: "put" (with data, or an `lfs` reference), "delete" a file, or "delete_folder"."""

    kind: str
    path: str
    data: bytes = b""
    lfs: LfsRef | None = None


@dataclass(frozen=True)
class CommitResult:
    commit: CommitMeta
    changed: list[str]  # added or modified paths
    deleted: list[str]


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.lock = threading.RLock()
        root.mkdir(parents=True, exist_ok=True)  # its parents are not ours (e.g. `.reconcile/`)
        os.chmod(root, DIR_MODE)  # also closes a state folder an older version left open to others
        for sub in ("repos", "blobs", "commits", "lfs", "xet", "tmp"):
            private_dir(root / sub)
        for leftover in (root / "tmp").iterdir():
            leftover.unlink()  # an upload cut short by a crash or a stop
        clock_file = root / "clock.json"
        offset = json.loads(clock_file.read_text())["offset"] if clock_file.exists() else 0.0
        self.clock = Clock(offset)
        self.tokens: dict[str, TokenInfo] = {
            token: TokenInfo(**info) for token, info in self._load("tokens.json", {}).items()
        }
        self.buckets: dict[str, dict[str, Any]] = self._load("buckets.json", {})
        self.digest_key = self._digest_key()
        self.repos: dict[tuple[str, str], Repo] = {}
        for path in (root / "repos").glob("*/*/*.json"):
            repo = Repo.from_json(json.loads(path.read_text(encoding="utf-8")))
            self.repos[(repo.type, repo.id)] = repo
            # An older version kept an unkeyed sha256 of each secret value. It cannot be rekeyed
            # without the value, so it is dropped and the file rewritten at once (the unkeyed hash
            # leaves the disk); the key stays, and no digest check matches it until it is written again.
            if any(entry.pop("sha256", None) is not None for entry in repo.secrets.values()):
                self.save(repo)
        self.events: list[dict[str, Any]] = []
        events_file = root / "events.jsonl"
        if events_file.exists():
            lines = events_file.read_text(encoding="utf-8").splitlines()
            # A crash can cut the last line short; everything before it is intact.
            self.events = [json.loads(line) for line in lines if line.endswith("}")]
        self._trees: dict[str, Tree] = {}
        self.upload_policy = UploadPolicy()
        # Signs the upload URLs the LFS batch API hands out (they carry no token); per process.
        self.signing_key = secrets.token_bytes(32)
        if not self.tokens:
            self.add_token(f"hf_local_{secrets.token_hex(16)}", DEFAULT_USER, "write", [DEFAULT_ORG])
        self.default_token = next(t for t, i in self.tokens.items() if i.user == DEFAULT_USER)
        # Rewritten on every start: a token file an older version left readable becomes 0600.
        write_atomic(root / "token", self.default_token + "\n")

    # ------------------------------------------------------------------ persistence

    def _digest_key(self) -> bytes:
        """The key of `secret_digest`: random per state folder, kept so digests compare across restarts."""
        path = self.root / DIGEST_KEY_FILE
        if not path.exists():
            write_atomic(path, secrets.token_bytes(32).hex() + "\n")
        return bytes.fromhex(path.read_text(encoding="utf-8").strip())

    def secret_digest(self, value: str) -> str:
        """What the store keeps of a secret value: HMAC-SHA256 under this state folder's key.

        An unkeyed hash of a low-entropy value is as good as the value to anyone who reads it;
        this one is worth nothing without the key (which only the owner can read, like the digests).
        """
        return hmac.new(self.digest_key, value.encode("utf-8"), hashlib.sha256).hexdigest()

    def _load(self, name: str, default: Any) -> Any:
        path = self.root / name
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else default

    def _repo_path(self, repo_type: str, repo_id: str) -> Path:
        namespace, name = repo_id.split("/")
        return self.root / "repos" / f"{repo_type}s" / namespace / f"{name}.json"

    def save(self, repo: Repo) -> None:
        """Persist `repo`; a newly created repo becomes visible only now."""
        self.repos[(repo.type, repo.id)] = repo
        path = self._repo_path(repo.type, repo.id)
        private_dir(path.parent)
        write_atomic(path, json.dumps(repo.to_json(), separators=(",", ":")))

    def save_clock(self) -> None:
        write_atomic(self.root / "clock.json", json.dumps({"offset": self.clock.offset}))

    def add_token(self, token: str, user: str, role: str, orgs: list[str]) -> None:
        with self.lock:
            self.tokens[token] = TokenInfo(user, role, orgs)
            data = {t: asdict(i) for t, i in self.tokens.items()}
            write_atomic(self.root / "tokens.json", json.dumps(data, indent=1))

    def put_bucket(self, bucket_id: str, private: bool, now: float) -> dict[str, Any]:
        bucket = {"id": bucket_id, "private": private, "createdAt": iso(now), "size": 0, "totalFiles": 0}
        self.buckets[bucket_id] = bucket
        write_atomic(self.root / "buckets.json", json.dumps(self.buckets, indent=1))
        return bucket

    def event(self, repo: str, kind: str, detail: str = "") -> None:
        record = {"time": iso(self.clock.now()), "repo": repo, "kind": kind, "detail": detail}
        self.events.append(record)
        with open_private(self.root / "events.jsonl", "ab") as log:
            log.write((json.dumps(record) + "\n").encode("utf-8"))

    # ------------------------------------------------------------------ blobs and trees

    def blob_path(self, oid: str) -> Path:
        return self.root / "blobs" / oid[:2] / oid

    def put_blob(self, data: bytes) -> str:
        oid = gitobj.blob_oid(data)
        path = self.blob_path(oid)
        if not path.exists():
            private_dir(path.parent)
            write_atomic(path, data)
        return oid

    def read_blob(self, oid: str) -> bytes:
        return self.blob_path(oid).read_bytes()

    def read_file(self, tree: Tree, path: str) -> bytes:
        """The content of `path` (for an LFS file, the content, not its pointer); small files only."""
        lfs = lfs_of(tree[path])
        return self.lfs_path(lfs["sha256"]).read_bytes() if lfs else self.read_blob(tree[path][0])

    def file_source(self, tree: Tree, path: str) -> bytes | LfsRef:
        """What recreates `path` in another commit: its bytes, or its LFS content by reference."""
        lfs = lfs_of(tree[path])
        return LfsRef(lfs["sha256"], lfs["size"]) if lfs else self.read_blob(tree[path][0])

    def tree_at(self, repo: Repo, sha: str) -> Tree:
        if sha == repo.head:
            return repo.tree
        if sha not in self._trees:
            if len(self._trees) > 256:
                self._trees.clear()
            path = self.root / "commits" / sha[:2] / f"{sha}.json"
            self._trees[sha] = json.loads(path.read_text(encoding="utf-8"))
        return self._trees[sha]

    # ------------------------------------------------------------------ LFS / Xet contents
    # Content-addressed files need no lock: every write lands with an atomic rename, and two
    # writers of one sha256 write the same bytes. Nothing here holds a whole file in memory.

    def lfs_path(self, sha256: str) -> Path:
        return self.root / "lfs" / sha256[:2] / sha256

    def has_lfs(self, sha256: str) -> bool:
        return bool(_SHA256.match(sha256)) and self.lfs_path(sha256).is_file()

    def temp_path(self) -> Path:
        """A fresh path on the store's filesystem: `put_lfs` moves a file from here instead of copying it."""
        return self.root / "tmp" / secrets.token_hex(12)

    def put_lfs(self, sha256: str, source: Path | bytes, size: int, xet_hash: str | None = None) -> None:
        """Store `source` as the content of `sha256`, after checking its sha256 and size.

        A Path from `temp_path()` is moved into place (and gone afterwards, stored or not); any other
        Path is copied. A mismatch raises HubError(422) and stores nothing; a malformed sha256 is a 400.
        """
        if not _SHA256.match(sha256):
            raise HubError(400, f"Invalid LFS object id {sha256!r}: expected 64 lowercase hex digits (sha256)")
        if xet_hash is not None and not _SHA256.match(xet_hash):
            raise HubError(400, f"Invalid Xet hash {xet_hash!r}: expected 64 lowercase hex digits")
        owned = isinstance(source, Path) and source.parent == self.root / "tmp"
        target = self.lfs_path(sha256)
        try:
            actual, actual_size = _sha256_of(source)
            if actual_size != size:
                raise HubError(422, f"Size mismatch for LFS object {sha256}: expected {size} bytes, got {actual_size}")
            if actual != sha256:
                raise HubError(422, f"Content mismatch for LFS object {sha256}: its sha256 is {actual}")
            if not target.is_file():
                private_dir(target.parent)
                if isinstance(source, bytes):
                    write_atomic(target, source)
                elif owned:
                    os.replace(source, target)  # made by open_private in tmp/, so already 0600
                else:
                    temp = self.temp_path()
                    with open(source, "rb") as original, open_private(temp) as copy:
                        shutil.copyfileobj(original, copy, _CHUNK)
                    os.replace(temp, target)
        finally:
            if owned and isinstance(source, Path):
                source.unlink(missing_ok=True)
        if xet_hash is not None and self.xet_hash(sha256) != xet_hash:
            write_atomic(target.with_name(f"{sha256}.xet"), xet_hash)
            back = self.root / "xet" / xet_hash[:2] / xet_hash
            private_dir(back.parent)
            write_atomic(back, sha256)

    def xet_hash(self, sha256: str) -> str | None:
        """The Xet hash of the content `sha256`, when it was stored through Xet."""
        sidecar = self.lfs_path(sha256).with_name(f"{sha256}.xet")
        return sidecar.read_text(encoding="utf-8").strip() if _SHA256.match(sha256) and sidecar.is_file() else None

    def sha256_of_xet(self, xet_hash: str) -> str | None:
        """The sha256 of the content stored under the Xet hash `xet_hash`, if any."""
        if not _SHA256.match(xet_hash):
            return None
        back = self.root / "xet" / xet_hash[:2] / xet_hash
        return back.read_text(encoding="utf-8").strip() if back.is_file() else None

    # ------------------------------------------------------------------ repos

    def get(self, repo_type: str, repo_id: str, fold_case: bool = False) -> Repo | None:
        """The repo with this id; with `fold_case`, in any letter case (the Hub's ids are
        case-insensitive, hub-contract §13), as it was spelled when created."""
        repo = self.repos.get((repo_type, repo_id))
        if repo is None and fold_case:
            wanted = repo_id.lower()
            repo = next(
                (r for (kind, key), r in self.repos.items() if kind == repo_type and key.lower() == wanted), None
            )
        return repo

    def list_repos(self, repo_type: str) -> Iterator[Repo]:
        return (repo for (kind, _), repo in self.repos.items() if kind == repo_type)

    def create(
        self,
        repo_type: str,
        repo_id: str,
        visibility: str,
        sdk: str | None,
        author: str,
        files: Mapping[str, bytes | LfsRef],
    ) -> Repo:
        """A new repo with one commit of `files` (contents, or LFS content by reference), unlisted until saved."""
        now = self.clock.now()
        repo = Repo(
            type=repo_type,
            id=repo_id,
            uid=secrets.token_hex(12),
            created=now,
            modified=now,
            visibility=visibility,
            sdk=sdk,
            head="",
            commits=[],
            tree={},
            card={},
        )
        operations = [
            Operation("put", p, lfs=d) if isinstance(d, LfsRef) else Operation("put", p, d) for p, d in files.items()
        ]
        self.commit(repo, operations, "initial commit", "", author)
        return repo

    def delete(self, repo: Repo) -> None:
        self._repo_path(repo.type, repo.id).unlink(missing_ok=True)
        del self.repos[(repo.type, repo.id)]

    def move(self, repo: Repo, new_id: str) -> None:
        old_path = self._repo_path(repo.type, repo.id)
        del self.repos[(repo.type, repo.id)]
        repo.id = new_id
        self.repos[(repo.type, new_id)] = repo
        self.save(repo)
        old_path.unlink(missing_ok=True)

    def commit(self, repo: Repo, operations: list[Operation], title: str, message: str, author: str) -> CommitResult:
        """Apply every operation or none; the repo JSON written last is the commit point."""
        tree = dict(repo.tree)
        changed: list[str] = []
        deleted: list[str] = []
        puts: list[tuple[str, bytes]] = []
        for op in operations:
            if op.kind == "put":
                data = gitobj.lfs_pointer(op.lfs.sha256, op.lfs.size) if op.lfs else op.data
                if op.path in tree and tree[op.path][0] == gitobj.blob_oid(data):
                    continue
                tree[op.path] = [gitobj.blob_oid(data), op.lfs.size if op.lfs else len(data), ""]
                if op.lfs:
                    tree[op.path].append({"sha256": op.lfs.sha256, "size": op.lfs.size, "pointerSize": len(data)})
                puts.append((op.path, data))
                changed.append(op.path)
            elif op.kind == "delete":
                if op.path not in tree:
                    raise entry_not_found(op.path, repo.head or None)
                del tree[op.path]
                deleted.append(op.path)
            else:
                prefix = op.path.rstrip("/") + "/"
                inside = [path for path in tree if path.startswith(prefix)]
                if not inside:
                    raise entry_not_found(op.path, repo.head or None)
                for path in inside:
                    del tree[path]
                deleted.extend(inside)
        folders = {path[:i] for path in tree for i, ch in enumerate(path) if ch == "/"}
        if clash := sorted(folders.intersection(tree)):
            raise HubError(422, f"A file and a folder cannot have the same path: {clash[0]}")
        now = self.clock.now()
        listing = [(path, entry[0]) for path, entry in tree.items()]
        parent = repo.head or None
        sha = gitobj.commit_oid(
            parent, gitobj.tree_oid(listing), f"{title}\n{message}", author, now, secrets.token_hex(8)
        )
        for path, data in puts:
            self.put_blob(data)
            tree[path][2] = sha
        commit_file = self.root / "commits" / sha[:2] / f"{sha}.json"
        private_dir(commit_file.parent)
        write_atomic(commit_file, json.dumps(tree, separators=(",", ":")))
        meta = CommitMeta(sha, parent, title, message, author, now)
        repo.commits.append(meta)
        repo.head, repo.tree, repo.modified = sha, tree, now
        return CommitResult(meta, changed, deleted)


def _sha256_of(source: Path | bytes) -> tuple[str, int]:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest(), len(source)
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


# Every write of the local Hub under its state folder goes through these three.


def write_atomic(path: Path, content: str | bytes) -> None:
    """Replace `path` with `content` in one rename, as a 0600 file."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    data = content.encode("utf-8") if isinstance(content, str) else content
    with open_private(temp, "xb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
