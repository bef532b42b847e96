"""Hub writes used by apply. Each write is retried through HubClient.call and, where a lost
response could hide a success, checks before retrying whether the write already happened.

Secret values pass through here on their way to the Hub and go nowhere else: they are
never logged, and error messages built in hub.errors never include request bodies.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from huggingface_hub import CommitOperationAdd, CommitOperationDelete
from huggingface_hub._space_api import Volume as HubVolume
from huggingface_hub.hf_api import RepoFile

from reconciler import identity
from reconciler.errors import SourceFileRefused, TerminalHubError
from reconciler.hub.client import HubClient
from reconciler.hub.observe import remote_file, volumes_from_runtime
from reconciler.model import ContentId, LfsInfo, RemoteFile, SourceFile, Volume

# huggingface_hub's create_commit takes the Hub's hot-reload flag through the private keyword
# `_hot_reload`; tests/hub/test_private_api.py fails loudly if the client's signature changes.


@dataclass(frozen=True)
class RuntimeView:
    stage: str
    sha: str | None
    hardware_current: str | None
    hot_reload_status: str | None
    replica_statuses: tuple[str, ...]
    error: str | None


def _hub_volume(volume: Volume) -> HubVolume:
    # Same field names (tests/hub/test_private_api.py guards the client's side).
    return HubVolume(**volume.model_dump())


class SpaceWriter:
    """Writes for one Space id."""

    def __init__(self, client: HubClient, space_id: str) -> None:
        self.client = client
        self._api = client._api
        self.id = space_id
        # The tree entries the last acknowledged commit stored for its additions (see stored_entry),
        # None when it is not known exactly (no commit yet, or its response was lost).
        self.stored: tuple[RemoteFile, ...] | None = None

    def _write(self, fn: Any, already_done: Any = None) -> Any:
        return self.client.call(fn, space_id=self.id, already_done=already_done)

    # ------------------------------------------------------------------ reads used by writes
    def exists(self) -> bool:
        return bool(self.client.read(lambda: self._api.repo_exists(self.id, repo_type="space"), space_id=self.id))

    def sha(self) -> str | None:
        return self.client.read(lambda: self._api.space_info(self.id, expand=["sha"]).sha, space_id=self.id)

    def holds(self, revision: str, additions: Mapping[str, ContentId], deletions: Iterable[str]) -> bool:
        """Whether `revision` has exactly this content at these paths and none of `deletions`.

        Content is compared as plan compares it (RemoteFile.holds): sha256 for what the Hub
        stored with LFS/Xet, whose blob id is a pointer's, git blob id otherwise."""
        paths = [*additions, *deletions]
        infos = self.client.read(
            lambda: self._api.get_paths_info(self.id, paths, repo_type="space", revision=revision), space_id=self.id
        )
        found = {info.path: remote_file(info) for info in infos if isinstance(info, RepoFile)}
        return all(path in found and found[path].holds(content) for path, content in additions.items()) and not (
            set(deletions) & set(found)
        )

    def paths(self) -> tuple[str, ...]:
        """Every file path at the head (one tree listing)."""

        def fetch() -> tuple[str, ...]:
            items = self._api.list_repo_tree(self.id, repo_type="space", recursive=True)
            return tuple(sorted(i.path for i in items if isinstance(i, RepoFile)))

        return self.client.read(fetch, space_id=self.id, paginated=True)

    def runtime(self) -> RuntimeView:
        runtime = self.client.read(lambda: self._api.get_space_runtime(self.id), space_id=self.id)
        raw = runtime.raw
        hot = raw.get("hotReloading") or {}
        return RuntimeView(
            stage=runtime.stage,
            sha=raw.get("sha"),
            hardware_current=runtime.hardware,
            hot_reload_status=hot.get("status"),
            replica_statuses=tuple(str(status) for _, status in hot.get("replicaStatuses") or ()),
            error=raw.get("errorMessage"),
        )

    def volumes(self) -> tuple[Volume, ...]:
        runtime = self.client.read(lambda: self._api.get_space_runtime(self.id), space_id=self.id)
        return volumes_from_runtime(runtime.raw.get("volumes"))

    def download(self, expected: RemoteFile, revision: str) -> SourceFile:
        """One file at `revision`, on disk in the client's cache (never in memory), checked
        byte-exact against its tree entry: resolve serves LFS/Xet content, never the pointer."""

        def fetch() -> str:
            return str(self._api.hf_hub_download(self.id, expected.path, repo_type="space", revision=revision))

        local = self.client.read(fetch, space_id=self.id)
        content = identity.HashCache(None).content_id(local)
        if not expected.holds(content):
            raise TerminalHubError(
                f"{expected.path} downloaded from {self.id} at {revision[:12]} is not the file its tree lists",
                space_id=self.id,
            )
        return SourceFile(
            path=expected.path, blob_id=content.blob_id, sha256=content.sha256, size=content.size, local_path=local
        )

    def log_tail(self, build: bool, lines: int = 50) -> list[str]:
        def fetch() -> list[str]:
            collected = list(self._api.fetch_space_logs(self.id, build=build, follow=False))
            return [line.rstrip("\n") for line in collected[-lines:]]

        return self.client.read(fetch, space_id=self.id)

    # ------------------------------------------------------------------ writes
    def create(
        self,
        *,
        sdk: str,
        hardware: str,
        sleep_time: int | None,
        visibility: str,
        secrets: Mapping[str, str],
        describe: Callable[[str, int], str],
        variables: Sequence[dict[str, str]],
    ) -> None:
        """`describe(key, hub_time)`: each secret's description, made per attempt (set_secret)."""

        def create() -> None:
            with self.client.create_lock:
                now = self.hub_time()
                self._api.create_repo(
                    self.id,
                    repo_type="space",
                    space_sdk=sdk,
                    # A static Space runs on no hardware, and the Hub refuses a request for any.
                    space_hardware=None if sdk == "static" else hardware,  # type: ignore[arg-type]
                    space_sleep_time=sleep_time,
                    visibility=visibility,  # type: ignore[arg-type]
                    space_secrets=[
                        {"key": key, "value": value, "description": describe(key, now)}
                        for key, value in secrets.items()
                    ],
                    space_variables=list(variables),
                )

        self._write(create, already_done=self.exists)

    def delete(self) -> None:
        self._write(lambda: self._api.delete_repo(self.id, repo_type="space", missing_ok=True))

    def set_hardware(self, flavor: str, sleep_time: int | None) -> None:
        self._write(lambda: self._api.request_space_hardware(self.id, flavor, sleep_time=sleep_time))  # type: ignore[arg-type]

    def set_sleep_time(self, seconds: int) -> None:
        self._write(lambda: self._api.set_space_sleep_time(self.id, seconds))

    def set_variable(self, key: str, value: str) -> None:
        self._write(lambda: self._api.add_space_variable(self.id, key, value))

    def delete_variable(self, key: str) -> None:
        self._write(lambda: self._api.delete_space_variable(self.id, key))

    def hub_time(self) -> int:
        """The Hub's clock now, in whole seconds (hub/clock.py)."""
        return int(self.client.clock.now())

    def set_secret(self, key: str, value: str, describe: Callable[[int], str]) -> None:
        """`describe(hub_time)` makes the description, which records the write time: made for
        each attempt, so a retry after a wait records when it was sent, as the Hub will."""
        # Re-writing the same secret is harmless (an upsert), so no already_done check is needed.
        self._write(lambda: self._api.add_space_secret(self.id, key, value, description=describe(self.hub_time())))

    def delete_secret(self, key: str) -> None:
        self._write(lambda: self._api.delete_space_secret(self.id, key))

    def set_volumes(self, volumes: Iterable[Volume]) -> None:
        mounts = [_hub_volume(v) for v in volumes]
        if mounts:
            self._write(lambda: self._api.set_space_volumes(self.id, mounts))
        else:
            self._write(lambda: self._api.delete_space_volumes(self.id))

    def set_visibility(self, visibility: str) -> None:
        self._write(
            lambda: self._api.update_repo_settings(self.id, repo_type="space", visibility=visibility)  # type: ignore[arg-type]
        )

    def set_dev_mode(self, enabled: bool) -> None:
        if enabled:
            self._write(lambda: self._api.enable_space_dev_mode(self.id))
        else:
            self._write(lambda: self._api.disable_space_dev_mode(self.id))

    def pause(self) -> None:
        self._write(lambda: self._api.pause_space(self.id))

    def restart(self, factory: bool = False) -> None:
        self._write(lambda: self._api.restart_space(self.id, factory_reboot=factory))

    def commit(
        self,
        *,
        additions: Iterable[SourceFile],
        deletions: Iterable[str],
        parent: str | None,
        message: str,
        description: str,
        hot_reload: bool,
    ) -> str:
        """One commit with exactly these files; `parent` makes a concurrent change fail with 412.

        Files on disk are handed to the client by path, so it streams them (hashing, LFS and
        Xet uploads) and never holds a whole file; only generated files are passed as bytes.
        Each path is pinned to the file checked at hand-over (SourceFile.pinned) until the
        commit is done, and a file whose bytes differ from the plan's is refused."""
        added, removed = list(additions), list(deletions)
        with contextlib.ExitStack() as pins:
            operations: list[Any] = [
                CommitOperationAdd(path_in_repo=f.path, path_or_fileobj=f.pinned(pins)) for f in added
            ]
            _same_as_planned(added, operations)
            operations += [CommitOperationDelete(path_in_repo=p) for p in removed]
            return self._commit(added, removed, operations, parent, message, description, hot_reload)

    def _commit(
        self,
        added: list[SourceFile],
        removed: list[str],
        operations: list[Any],
        parent: str | None,
        message: str,
        description: str,
        hot_reload: bool,
    ) -> str:
        wanted = {f.path: f.content_id for f in added}

        def landed() -> bool:
            # A response lost after the Hub made the commit: the branch moved and holds our
            # files. Two reads, whatever the length of the history.
            sha = self.sha()
            return sha is not None and sha != parent and self.holds(sha, wanted, removed)

        self.stored = None
        info = self._write(
            lambda: self._api.create_commit(
                self.id,
                operations,
                repo_type="space",
                commit_message=message,
                commit_description=description,
                parent_commit=parent,
                _hot_reload=hot_reload,
            ),
            already_done=landed,
        )
        if info is None:
            sha = self.sha()
            assert sha is not None
            return sha
        entries = [stored_entry(f, op) for f, op in zip(added, operations, strict=False)]
        if all(entry is not UNKNOWN for entry in entries):
            self.stored = tuple(entry for entry in entries if isinstance(entry, RemoteFile))
        return str(info.oid)


def _same_as_planned(added: Sequence[SourceFile], operations: Sequence[Any]) -> None:
    """Refuse a file whose bytes are not those the plan compared: the client hashed the pinned
    file as it built the operation (CommitOperationAdd.upload_info), and that hash is what it
    uploads and commits."""
    for source, operation in zip(added, operations, strict=True):
        if operation.upload_info.sha256.hex() != source.sha256:
            raise SourceFileRefused(f"{source.path} changed on disk since the plan was made; run plan again")


# The Git LFS pointer git stores for an LFS/Xet file (git-lfs spec v1; hub-contract §8.2, §11:
# the tree's `oid` of such a file is the git blob id of exactly this text).
LFS_POINTER = "version https://git-lfs.github.com/spec/v1\noid sha256:{sha256}\nsize {size}\n"


UNKNOWN = object()


def stored_entry(source: SourceFile, operation: Any) -> RemoteFile | object | None:
    """The tree entry the Hub holds for `source` after a commit that sent it, computed locally.

    huggingface_hub records on each operation how preupload told it to send the file
    (`_upload_mode`, `_should_ignore`; _commit_api._fetch_upload_modes): a regular file is
    stored as its bytes (blob id = the content's), an "lfs" one (LFS or Xet transport) as a
    pointer. A file the Space's .gitignore ignores is not committed at all (None); any other
    mode is UNKNOWN. The Xet hash is not known locally; it is never compared (RemoteFile)."""
    if getattr(operation, "_should_ignore", False):
        return None
    mode = getattr(operation, "_upload_mode", None)
    if mode == "regular":
        return RemoteFile(path=source.path, blob_id=source.blob_id, size=source.size)
    if mode == "lfs":
        pointer = LFS_POINTER.format(sha256=source.sha256, size=source.size).encode()
        lfs = LfsInfo(sha256=source.sha256, size=source.size, pointer_size=len(pointer))
        return RemoteFile(path=source.path, blob_id=identity.of_bytes(pointer).blob_id, size=source.size, lfs=lfs)
    return UNKNOWN


def missing_write_access(client: HubClient, namespaces: Mapping[str, str | None]) -> list[str]:
    """Why this token cannot write to each namespace, checked before apply writes anything.

    `namespaces` maps each namespace apply will write to onto one existing Space in it (None
    when apply only creates there). A token whose role is "read" can write nowhere; otherwise
    the Hub's own write check on an existing Space decides (fine-grained tokens included).
    """
    me = client.read(lambda: client._api.whoami())
    token = (me.get("auth") or {}).get("accessToken") or {}
    if token.get("role") == "read":
        names = ", ".join(sorted(namespaces))
        return [f"the token is read-only (role 'read'); apply needs write permission on {names}"]
    problems = []
    member_of = {me.get("name"), *(org.get("name") for org in me.get("orgs") or ())}
    for namespace, space_id in sorted(namespaces.items()):
        if space_id is None:
            if namespace not in member_of:
                problems.append(f"{namespace}: 403 Forbidden: the token's user is not a member of {namespace}")
            continue
        status = _write_refused(client, space_id)
        if status is not None:
            problems.append(f"{namespace}: {status} Forbidden: the token has no write permission on {namespace}")
    return problems


def _write_refused(client: HubClient, space_id: str) -> int | None:
    """The Hub's status when it refuses this token write access to `space_id`, else None."""
    try:
        client.read(lambda: client._api.auth_check(space_id, repo_type="space", write=True), space_id=space_id)
    except TerminalHubError as refused:
        if refused.status in (401, 403):
            return refused.status
        raise
    return None
