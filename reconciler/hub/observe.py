"""Read the live state of Spaces with the fewest Hub calls, normalized into ObservedSpace.

Per namespace: one paginated listing with `expand` (sha, card data, runtime, visibility,
SDK) instead of one info call per Space. Per Space: only what cannot be listed
(variables, secrets, and the file tree unless the tree cache has it for that sha).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from huggingface_hub.hf_api import RepoFile, SpaceInfo
from huggingface_hub.utils.tqdm import disable_progress_bars

from reconciler import identity, interning
from reconciler.diff import SERVER_OWNED_FILES
from reconciler.errors import TerminalHubError
from reconciler.health import Stage
from reconciler.hub.cache import TreeCache
from reconciler.hub.client import HubClient
from reconciler.model import (
    LfsInfo,
    ObservedSecret,
    ObservedSpace,
    ObservedVariable,
    RemoteFile,
    Volume,
)
from reconciler.timestamps import utc_text

LIST_EXPAND = ["sha", "cardData", "runtime", "private", "sdk", "lastModified"]


@dataclass(frozen=True)
class Listed:
    """A Space as the bulk listing shows it: everything but variables, secrets and files.

    Held as the ObservedSpace the listing alone makes (`observed`: no variables, secrets or
    files, enough for prune and drift), not as the response: a plan of 10,000 Spaces keeps
    each Listed until the Space's own reads have run, and the raw runtime (domains, replicas,
    storage, ...) is read by no later stage."""

    observed: ObservedSpace

    @property
    def id(self) -> str:
        return self.observed.id

    @property
    def sha(self) -> str | None:
        return self.observed.sha

    @property
    def card(self) -> Mapping[str, Any]:
        return self.observed.card


def _listed(info: SpaceInfo) -> Listed:
    # The Hub reports `private` (hub-contract §3, §13: visibility is neither an expand key nor a
    # SpaceInfo field), and a protected Space reads as private. A `visibility` attribute, when a
    # Hub does send one, tells protected apart.
    visibility: Literal["public", "private", "protected"] = "private" if info.private else "public"
    exact = not info.private
    reported = getattr(info, "visibility", None)
    if reported in ("public", "private", "protected"):
        visibility, exact = reported, True
    card = interning.json_like(info.card_data.to_dict()) if info.card_data is not None else {}  # type: ignore[no-untyped-call]
    runtime = info.runtime.raw if info.runtime is not None else {}
    hardware = runtime.get("hardware") or {}
    modified = utc_text(info.last_modified) if info.last_modified else None
    text = interning.text
    return Listed(
        ObservedSpace(
            id=info.id,
            sha=info.sha,
            sdk=text(info.sdk),
            visibility=visibility,
            visibility_exact=exact,
            stage=Stage.parse(runtime.get("stage")),
            hardware=text(hardware.get("requested") or hardware.get("current")),
            hardware_current=text(hardware.get("current")),
            sleep_time=runtime.get("gcTimeout"),
            dev_mode=bool(runtime.get("devMode")),
            volumes=volumes_from_runtime(runtime.get("volumes")),
            card=card,
            last_modified=text(modified),
        )
    )


def list_namespace(
    client: HubClient, namespace: str, on_each: Callable[[Listed], None] | None = None
) -> dict[str, Listed]:
    """Every Space of a namespace, one paginated listing. `on_each` sees each Space as its page
    arrives, so per-Space reads can start before the listing ends; after a retried failure it
    may see a Space again."""

    def fetch() -> dict[str, Listed]:
        found: dict[str, Listed] = {}
        for info in client._api.list_spaces(author=namespace, expand=LIST_EXPAND):  # type: ignore[arg-type]
            found[info.id] = item = _listed(info)
            if on_each is not None:
                on_each(item)
        return found

    return client.read(fetch, paginated=True)


def info_one(client: HubClient, space_id: str) -> Listed | None:
    """One Space by id (used with --target, where listing a whole namespace would cost more)."""
    try:
        info = client.read(
            lambda: client._api.space_info(space_id, expand=LIST_EXPAND),  # type: ignore[arg-type]
            space_id=space_id,
        )
    except TerminalHubError as missing:
        if missing.status == 404:
            return None
        raise
    return _listed(info)


def volumes_from_runtime(raw: Iterable[Mapping[str, Any]] | None) -> tuple[Volume, ...]:
    volumes = []
    for item in raw or ():
        volumes.append(
            Volume(
                type=item.get("type") or "model",
                source=item["source"],
                mount_path=item.get("mountPath") or item.get("mount_path") or "",
                revision=item.get("revision"),
                read_only=item.get("readOnly"),
                path=item.get("path"),
            )
        )
    return tuple(sorted(volumes, key=lambda v: v.mount_path))


def remote_file(item: RepoFile) -> RemoteFile:
    """A tree or paths-info entry, with its LFS fields (hub-contract §9)."""
    lfs = item.lfs
    info = LfsInfo(sha256=lfs.sha256, size=lfs.size, pointer_size=lfs.pointer_size) if lfs is not None else None
    # A path repeats in every Space of a fleet, also where the content differs (README.md).
    path = interning.text(item.path)
    return RemoteFile(path=path, blob_id=item.blob_id, size=item.size, lfs=info, xet_hash=item.xet_hash)


def _lfs_fields(item: RepoFile) -> tuple[str, int, int] | None:
    lfs = item.lfs
    return (lfs.sha256, lfs.size, lfs.pointer_size) if lfs is not None else None


def read_tree(
    client: HubClient, space_id: str, sha: str, cache: TreeCache, derived: set[str] | None = None
) -> tuple[RemoteFile, ...]:
    """The tree at `sha`, from the cache when it has it. A derived entry (written by apply) adds
    `space_id` to `derived`; `derived` None reads past derived entries (the real tree replaces them)."""
    cached = cache.lookup(sha)
    if cached is not None and (derived is not None or not cached[1]):
        if cached[1] and derived is not None:
            derived.add(space_id)
        return cached[0]

    def fetch() -> tuple[RemoteFile, ...]:
        items = client._api.list_repo_tree(space_id, repo_type="space", revision=sha, recursive=True)
        files = [
            cache.entry(i.path, i.blob_id, i.size, _lfs_fields(i), i.xet_hash) for i in items if isinstance(i, RepoFile)
        ]
        return cache.tree(tuple(sorted(files, key=lambda f: f.path)))

    files = client.read(fetch, space_id=space_id, paginated=True)
    cache.put(sha, files)
    return files


def observe_one(
    client: HubClient,
    listed: Listed,
    cache: TreeCache,
    derived: set[str] | None = None,
    rows: interning.Rows | None = None,
) -> ObservedSpace:
    """`derived`: see read_tree; the default trusts only trees read from the Hub. `rows`: the
    table equal variable and secret rows are shared through, one per observation."""
    space_id = listed.id
    files = read_tree(client, space_id, listed.sha, cache, derived) if listed.sha else ()
    try:
        variables = client.read(lambda: client._api.get_space_variables(space_id), space_id=space_id)
        secrets = client.read(lambda: client._api.get_space_secrets(space_id), space_id=space_id)
    except TerminalHubError as refused:
        if refused.status not in (401, 403):
            raise
        return listed.observed.model_copy(update={"files": files, "settings_readable": False})
    shared = rows if rows is not None else interning.Rows()
    text = interning.text
    return listed.observed.model_copy(
        update={
            "variables": {
                text(key): shared(
                    ObservedVariable(
                        value=text(v.value or ""), description=text(v.description), updated_at=text(_iso(v.updated_at))
                    )
                )
                for key, v in variables.items()
            },
            "secrets": {
                text(key): shared(ObservedSecret(description=text(s.description), updated_at=text(_iso(s.updated_at))))
                for key, s in secrets.items()
            },
            "files": files,
        }
    )


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return utc_text(value)


def recent_commits(client: HubClient, space_id: str) -> list[tuple[str, str, str, str]]:
    """(id, first author, title, date) of the Space's commits, newest first."""

    def fetch() -> list[tuple[str, str, str, str]]:
        commits = client._api.list_repo_commits(space_id, repo_type="space")
        return [(c.commit_id, (c.authors or ["unknown"])[0], c.title, _iso(c.created_at) or "") for c in commits]

    return client.read(fetch, space_id=space_id, paginated=True)


def download_files(
    client: HubClient,
    space_id: str,
    sha: str,
    destination: Path,
    expected: Iterable[RemoteFile] = (),
    *,
    progress: bool = False,
) -> list[str]:
    """Every file of the Space at `sha` into `destination` (server-owned files left out).

    Downloads go through resolve (snapshot_download -> hf_hub_download), which serves the
    content of LFS/Xet files, and are copied in chunks. Each file listed in `expected` (the
    tree at `sha`) is checked byte-exact against its entry before it is kept, so a pointer
    file is never written as content; when `expected` is given, nothing else is kept.
    huggingface_hub's progress bars are shown only with `progress` (the caller knows whether
    stderr is a terminal); in CI logs they are noise."""
    entries = {f.path: f for f in expected}

    def fetch() -> list[str]:
        quiet = contextlib.nullcontext() if progress else disable_progress_bars()
        with quiet, tempfile.TemporaryDirectory() as scratch:
            root = Path(client._api.snapshot_download(space_id, repo_type="space", revision=sha, local_dir=scratch))
            copied = []
            for path in sorted(root.rglob("*")):
                relative = path.relative_to(root).as_posix()
                if not path.is_file() or relative.startswith(".cache/") or relative in SERVER_OWNED_FILES:
                    continue
                entry = entries.get(relative)
                if entries and entry is None:
                    continue  # not in the tree the caller checked (a second listing that disagrees)
                if entry is not None and not entry.holds(identity.HashCache(None).content_id(str(path))):
                    raise TerminalHubError(
                        f"{relative} downloaded from {space_id} at {sha[:12]} is not the file its tree lists",
                        space_id=space_id,
                    )
                target = destination / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, target)
                copied.append(relative)
            return copied

    return client.read(fetch, space_id=space_id)


def hardware_costs(client: HubClient) -> dict[str, float]:
    """Unit cost per flavor in USD/hour, from the Hub's hardware list (one call per run)."""
    flavors = client.read(lambda: client._api.list_spaces_hardware())
    # The Hub prices flavors per unit of time named by unitLabel (usually "minute").
    per_hour = {"second": 3600.0, "minute": 60.0, "hour": 1.0}
    return {
        flavor.name: round(float(flavor.unit_cost_usd) * per_hour.get(str(flavor.unit_label).lower(), 1.0), 4)
        for flavor in flavors
    }


def whoami(client: HubClient) -> dict[str, object]:
    """The token's account (name, plan, orgs, canPay), for the plan's account checks."""
    found: dict[str, object] = client.read(lambda: client._api.whoami())
    return found
