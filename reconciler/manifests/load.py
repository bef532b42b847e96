"""Manifest files -> validated DesiredSpaces plus every diagnostic, in one pass.

The pipeline per document: YAML with positions -> kind -> pydantic model -> (SpaceSet:
render each generator entry and feed the result back as a Space) -> semantic checks ->
source folder -> lint -> DesiredSpace. Findings are collected, never raised.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec
from pydantic import BaseModel, ValidationError

from reconciler.errors import Diagnostic, Location, Severity
from reconciler.manifests import checks, lint, validation
from reconciler.manifests.card import app_file, default_body, front_matter, render_readme
from reconciler.manifests.context import DocContext
from reconciler.manifests.schema_models import API_VERSION, KINDS, Policy, Space, SpaceSet
from reconciler.manifests.source import README, Listing, SourceCache, generated, is_inside
from reconciler.manifests.spaceset import Label, expand, origin
from reconciler.manifests.yaml_positions import Parsed, YamlProblem, parse_documents
from reconciler.manifests.yaml_positions import Path as NodePath
from reconciler.model import DesiredSpace, Lifecycle, SecretRef, SourceRef, Volume
from reconciler.policy import EXEMPT_LABEL, CompiledPolicy, compile_policy, exemption_problem

MANIFEST_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadResult:
    spaces: tuple[DesiredSpace, ...]  # sorted by id; only documents without errors
    diagnostics: tuple[Diagnostic, ...]  # errors and warnings, sorted by location
    policies: tuple[CompiledPolicy, ...] = ()  # sorted by name; only policies whose every rule compiled

    @property
    def ok(self) -> bool:
        return not any(d.severity is Severity.ERROR for d in self.diagnostics)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.WARNING)


def load_manifests(paths: Sequence[Path], repo_root: Path | None = None) -> LoadResult:
    """Load every manifest under `paths` (files, or folders searched for *.yaml / *.yml)."""
    paths = [Path(p) for p in paths]
    root = repo_root if repo_root is not None else find_repo_root(paths[0] if paths else Path.cwd())
    cache = SourceCache(str(root))
    loader = _Loader(cache, ignore=_reconcileignore(root))
    files = loader.manifest_files(paths)
    for file in files:
        loader.load_file(file)
    # YAML inside a Space's source folder is the app's own (a config file, a CI file), never a
    # manifest: once every source folder is known, read the fleet again without those files.
    # Files named on the command line are always read; so is the manifest that declares the folder.
    declared = {(u.folder, os.path.realpath(u.location.file)) for u in loader.sources}
    inside = {
        file
        for file in files
        if file not in loader.named
        and any(is_inside(os.path.realpath(file), folder) and os.path.realpath(file) != by for folder, by in declared)
    }
    if inside:
        loader = _Loader(cache, ignore=loader.ignore)
        for file in loader.manifest_files(paths):
            if file not in inside:
                loader.load_file(file)
    return loader.result()


IGNORE_FILE = ".reconcileignore"


def _reconcileignore(root: Path) -> pathspec.GitIgnoreSpec | None:
    """Paths (gitignore syntax, relative to the repository root) never read as manifests."""
    try:
        text = (root / IGNORE_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return pathspec.GitIgnoreSpec.from_lines(text.splitlines())


def find_repo_root(path: Path) -> Path:
    """The git top-level above `path`, else the folder of `path`."""
    start = Path(os.path.abspath(path))
    folder = start if start.is_dir() else start.parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def display_path(path: Path) -> str:
    absolute = os.path.abspath(path)
    relative = os.path.relpath(absolute)
    return absolute if relative.startswith("..") else relative


@dataclass
class _Seen:
    location: Location
    origin: object | None  # spaceset.Label


@dataclass(frozen=True)
class _SourceUse:
    """A Space's source folder, kept until every manifest is read: only then are all secret
    files known, and a folder holding (or linking to) any of them is refused."""

    space_id: str
    folder: str  # resolved
    written: str  # source.path as the manifest spells it
    listing: Listing
    location: Location
    origin: object | None  # spaceset.Label


@dataclass
class _Loader:
    cache: SourceCache
    diagnostics: list[Diagnostic] = field(default_factory=list)
    spaces: list[DesiredSpace] = field(default_factory=list)
    ids: dict[str, list[_Seen]] = field(default_factory=dict)
    sources: list[_SourceUse] = field(default_factory=list)
    # Resolved path of every fromFile secret -> where the first manifest declaring it says so.
    secret_files: dict[str, Location] = field(default_factory=dict)
    policies: dict[str, list[tuple[Location, CompiledPolicy | None]]] = field(default_factory=dict)
    ignore: pathspec.GitIgnoreSpec | None = None
    named: set[Path] = field(default_factory=set)  # files given on the command line, never skipped

    def _ignored(self, root: str, folder: str, name: str, is_dir: bool) -> bool:
        if self.ignore is None:
            return False
        relative = os.path.relpath(os.path.join(os.path.abspath(folder), name), root).replace(os.sep, "/")
        return not relative.startswith("..") and self.ignore.match_file(relative + ("/" if is_dir else ""))

    def manifest_files(self, paths: list[Path]) -> list[Path]:
        """YAML files under the folders of `paths`, and the files named there.

        In folders, dot-files and dot-folders (`.pre-commit-config.yaml`, `.github/`) and paths
        matched by the repository's `.reconcileignore` are skipped; a named file is always read.
        """
        found: dict[str, Path] = {}
        root = self.cache.root
        for path in paths:
            if path.is_dir():
                for folder, dirs, files in os.walk(path):
                    dirs[:] = sorted(
                        d for d in dirs if not d.startswith(".") and not self._ignored(root, folder, d, True)
                    )
                    for name in sorted(files):
                        if name.endswith(MANIFEST_SUFFIXES) and not name.startswith("."):
                            if self._ignored(root, folder, name, False):
                                continue
                            file = Path(folder) / name
                            found.setdefault(os.path.realpath(file), file)
            elif path.is_file():
                found.setdefault(os.path.realpath(path), path)
                self.named.add(path)
            else:
                self.diagnostics.append(Diagnostic(Severity.ERROR, f"{display_path(path)}: no such file or folder"))
        return sorted(found.values(), key=lambda p: display_path(p))

    def load_file(self, file: Path) -> None:
        display = display_path(file)
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as problem:
            reason = "not UTF-8 text" if isinstance(problem, UnicodeDecodeError) else problem.strerror
            where = Location(display, 1, 1)
            self.diagnostics.append(Diagnostic(Severity.ERROR, f"cannot read manifest: {reason}", where))
            return
        lines = text.split("\n")
        for item in parse_documents(text):
            ctx = DocContext(file, display)
            if isinstance(item, YamlProblem):
                ctx.add_at(item.pos, item.message)
            elif item.data is not None:
                ctx.parsed = item
                self._document(ctx, lines)
            self.diagnostics.extend(ctx.diagnostics)

    def _document(self, ctx: DocContext, lines: list[str]) -> None:
        assert ctx.parsed is not None
        data = ctx.parsed.data
        if not isinstance(data, dict):
            ctx.error((), "a manifest document must be a mapping with apiVersion, kind, metadata and spec")
            return
        kind = data.get("kind")
        if not isinstance(kind, str) or kind not in KINDS:
            if kind is None:
                *others, last = KINDS
                ctx.error((), f"missing key 'kind' ({', '.join(others)} or {last})")
            else:
                guess = validation.did_you_mean(str(kind), list(KINDS))
                ctx.error(
                    ("kind",),
                    f"unknown kind {kind!r}"
                    + (f"; did you mean {guess!r}?" if guess else "")
                    + f" (kinds: {', '.join(KINDS)})",
                )
            return
        model, complete = _validate(ctx, KINDS[kind], data)
        if isinstance(model, Space):
            self._space(ctx, model, complete, ctx.location(ctx.parsed.start))
        elif isinstance(model, SpaceSet) and complete:
            self._spaceset(ctx, model, lines)
        elif isinstance(model, Policy) and complete:
            compiled, problems = compile_policy(model, ctx.at)
            ctx.diagnostics.extend(problems)
            self.policies.setdefault(model.metadata.name, []).append((ctx.at(("metadata", "name")), compiled))

    def _spaceset(self, ctx: DocContext, spaceset: SpaceSet, lines: list[str]) -> None:
        assert ctx.parsed is not None
        where = ctx.location(ctx.parsed.start)
        # One template mistake shows up in every generated Space: report it once, with the
        # generator entries it affects, instead of once per Space.
        grouped: dict[tuple[Severity, str, Location | None, str | None, str | None], list[Label]] = {}
        for rendered in expand(ctx, spaceset, lines):
            documents = list(parse_documents(rendered.text))
            sub = DocContext(ctx.file, ctx.display, template=rendered.template, label=rendered.label)
            parsed = [d for d in documents if not isinstance(d, Parsed) or d.data is not None]
            if len(parsed) != 1:
                sub.add(
                    Severity.ERROR,
                    f"the template must render exactly one document, not {len(parsed)}",
                    sub.location((0, 0)),
                )
            elif isinstance(parsed[0], YamlProblem):
                sub.add(Severity.ERROR, f"rendered template: {parsed[0].message}", sub.location(parsed[0].pos))
            else:
                sub.parsed = parsed[0]
                rendered.label.note_secrets(sub.parsed.data)
                data = sub.parsed.data
                if isinstance(data, dict):
                    # A template may leave out the header it would always repeat.
                    sub.parsed.data = data = {"apiVersion": API_VERSION, "kind": "Space", **data}
                if isinstance(data, dict) and data.get("kind") != "Space":
                    sub.error(("kind",), "a SpaceSet template must render a Space document")
                else:
                    self._space_document(sub, where)
            for d in sub.diagnostics:
                grouped.setdefault((d.severity, d.message, d.location, d.hint, d.rule), []).append(rendered.label)
        for (severity, message, location, hint, rule), labels in grouped.items():
            self.diagnostics.append(Diagnostic(severity, f"{origin(labels)}: {message}", location, hint, rule))

    def _space_document(self, ctx: DocContext, where: Location) -> None:
        assert ctx.parsed is not None
        if not isinstance(ctx.parsed.data, dict):
            ctx.error((), "the template must render a mapping (a Space document)")
            return
        model, complete = _validate(ctx, Space, ctx.parsed.data)
        if isinstance(model, Space):
            self._space(ctx, model, complete, where)

    def _space(self, ctx: DocContext, space: Space, complete: bool, where: Location) -> None:
        spec = space.spec
        space_id = f"{space.metadata.namespace}/{space.metadata.name}"
        self.ids.setdefault(space_id, []).append(_Seen(ctx.at(("metadata", "name")), ctx.label))
        ctx.ignored_rules = frozenset(spec.lifecycle.ignore_lint)
        base = ctx.file.parent
        checks.check_space(ctx, space, base)
        if (exemption := space.metadata.labels.get(EXEMPT_LABEL)) is not None and (
            problem := exemption_problem(exemption)
        ):
            ctx.error(("metadata", "labels", EXEMPT_LABEL), problem)
        secrets = checks.resolve_secrets(ctx, spec, base, self.cache.root)
        for name, ref in secrets.items():
            if ref.from_file is not None:
                real = os.path.realpath(ref.from_file)
                self.cache.guard.add_secret_file(real)
                self.secret_files.setdefault(real, ctx.at(("spec", "secrets", name, "fromFile")))
        listing = checks.check_source(ctx, spec, base, self.cache)
        if listing is not None:
            folder = os.path.realpath(base / spec.source.path)
            where_source = ctx.at(("spec", "source", "path"))
            self.sources.append(_SourceUse(space_id, folder, spec.source.path, listing, where_source, ctx.label))
        lint.run(ctx, space, listing)
        card = front_matter(spec)
        if listing is not None:
            _readme_conflicts(ctx, listing, card)
        if not complete or ctx.has_errors or listing is None:
            return
        body = (
            listing.readme_body
            if listing.readme_body is not None
            else default_body(spec.card.title or space.metadata.name)
        )
        self.spaces.append(_desired(space_id, space, where, secrets, card, body, listing))

    def _secret_sources(self) -> set[str]:
        """Refuse every source folder that holds, or links to, a file behind any secret."""
        refused: set[str] = set()
        grouped: dict[tuple[str, Location], list[object]] = {}
        memo: dict[tuple[int, str], list[str]] = {}
        # A hard link is a second name for the same file: compare (device, inode) too.
        by_identity = {_identity(real): declared for real, declared in self.secret_files.items()}
        by_identity.pop(None, None)
        for use in self.sources:
            key = (id(use.listing), use.folder)
            problems = memo.get(key)
            if problems is None:
                problems = memo[key] = []
                for real, declared in sorted(self.secret_files.items()):
                    if is_inside(real, use.folder):
                        problems.append(
                            f"source folder {use.written!r} contains the file of the secret declared at "
                            f"{declared}; a secret file is never uploaded"
                        )
                for rel, real in use.listing.entries:
                    behind = self.secret_files.get(real) or by_identity.get(_identity(real))
                    if behind is None or (real in self.secret_files and is_inside(real, use.folder)):
                        continue  # not a secret, or already refused above with its declaration
                    problems.append(
                        f"source folder {use.written!r}: {rel} is the file of the secret declared at "
                        f"{behind}; refusing to upload it"
                    )
            for message in problems:
                refused.add(use.space_id)
                grouped.setdefault((message, use.location), []).append(use.origin)
        for (message, location), labels in grouped.items():
            named = [label for label in labels if label is not None]
            prefix = f"{origin(named)}: " if named else ""
            self.diagnostics.append(Diagnostic(Severity.ERROR, prefix + message, location))
        return refused

    def result(self) -> LoadResult:
        failed: set[str] = self._secret_sources()
        for space_id, seen in self.ids.items():
            if len(seen) < 2:
                continue
            failed.add(space_id)
            for index, here in enumerate(seen):
                others = ", ".join(
                    f"{s.location}" + (f" by {s.origin}" if s.origin else "") for i, s in enumerate(seen) if i != index
                )
                prefix = f"in Space generated by {here.origin}: " if here.origin else ""
                self.diagnostics.append(
                    Diagnostic(
                        Severity.ERROR,
                        f"{prefix}duplicate Space id {space_id} (also defined at {others})",
                        here.location,
                    )
                )
        policies: list[CompiledPolicy] = []
        for name, defined in sorted(self.policies.items()):
            if len(defined) > 1:
                for where, _ in defined:
                    others = ", ".join(str(w) for w, _ in defined if w != where)
                    self.diagnostics.append(
                        Diagnostic(Severity.ERROR, f"duplicate Policy name {name} (also defined at {others})", where)
                    )
            elif defined[0][1] is not None:
                policies.append(defined[0][1])
        spaces = sorted((s for s in self.spaces if s.id not in failed), key=lambda s: s.id)
        diagnostics = sorted(self.diagnostics, key=_diagnostic_order)
        return LoadResult(tuple(spaces), tuple(diagnostics), tuple(policies))


def _identity(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_dev, info.st_ino)


def _diagnostic_order(d: Diagnostic) -> tuple[str, int, int, str]:
    if d.location is None:
        return ("", 0, 0, d.message)
    return (d.location.file, d.location.line, d.location.col, d.message)


def _validate(ctx: DocContext, model: type[BaseModel], data: Any) -> tuple[BaseModel | None, bool]:
    """(model, complete). On errors, retry without the failing keys so that semantic checks
    still report what they can (complete=False then)."""
    try:
        return model.model_validate(data), True
    except ValidationError as problem:
        failed = validation.report(ctx, model, data, problem)
    pruned = _prune(ctx, data, failed)
    try:
        return model.model_validate(pruned), False
    except ValidationError:
        return None, False


def _prune(ctx: DocContext, data: Any, failed: list[NodePath]) -> Any:
    """A copy of `data` without the failing keys and list items (the innermost item
    containing the error); positions of later list items are shifted to match."""
    pruned = copy.deepcopy(data)
    cuts = set()
    for path in failed:
        ints = [i for i, part in enumerate(path) if isinstance(part, int)]
        cuts.add(path[: ints[-1] + 1] if ints else path)
    # Deepest and highest index first, so that no removal shifts a later one.
    for cut in sorted(cuts, key=lambda p: [(0, x, "") if isinstance(x, int) else (1, 0, x) for x in p], reverse=True):
        parent = pruned
        try:
            for part in cut[:-1]:
                parent = parent[part]
        except (KeyError, IndexError, TypeError):
            continue
        last = cut[-1]
        if isinstance(parent, dict) and isinstance(last, str):
            parent.pop(last, None)
        elif isinstance(parent, list) and isinstance(last, int) and 0 <= last < len(parent):
            del parent[last]
            if ctx.parsed is not None:
                _shift(ctx.parsed, cut[:-1], last)
    return pruned


def _shift(parsed: Parsed, list_path: NodePath, removed: int) -> None:
    depth = len(list_path)
    for table in (parsed.values, parsed.keys, parsed.raw, parsed.styles):
        moved: dict[NodePath, Any] = {}
        for path, value in table.items():
            if len(path) > depth and path[:depth] == list_path and isinstance(path[depth], int):
                index = path[depth]
                assert isinstance(index, int)
                if index == removed:
                    continue
                if index > removed:
                    path = (*list_path, index - 1, *path[depth + 1 :])
            moved[path] = value
        table.clear()
        table.update(moved)


def _readme_conflicts(ctx: DocContext, listing: Listing, card: dict[str, Any]) -> None:
    own = listing.readme_front_matter
    if not own:
        return
    differing = sorted(str(k) for k, v in own.items() if card.get(str(k)) != v)
    if differing:
        ctx.add(
            Severity.WARNING,
            f"the source folder's README.md front matter is replaced by the one generated from the manifest; "
            f"these keys differ: {', '.join(differing)}",
            ctx.at(("spec", "source", "path")),
            "move the values into spec.card (or card.extra) and drop the front matter from README.md",
            "readme-front-matter",
        )


def _desired(
    space_id: str,
    space: Space,
    where: Location,
    secrets: dict[str, SecretRef],
    card: dict[str, Any],
    body: str,
    listing: Listing,
) -> DesiredSpace:
    spec = space.spec
    # A README whose front matter already says exactly what the manifest says is kept byte for
    # byte (e.g. after `reconcile import`), so reformatting YAML never shows up as a change.
    if listing.readme_raw is not None and listing.readme_front_matter == card:
        readme = listing.readme_raw
    else:
        readme = render_readme(card, body)
    files = sorted((*listing.files, generated(README, readme)), key=lambda f: f.path)
    return DesiredSpace(
        id=space_id,
        source_ref=SourceRef(file=where.file, line=where.line, col=where.col),
        labels=dict(space.metadata.labels),
        sdk=spec.sdk,
        sdk_version=spec.sdk_version,
        hardware=spec.hardware,
        sleep_time=spec.sleep_time,
        visibility=spec.visibility,
        dev_mode=spec.dev_mode,
        paused=spec.paused,
        variables=dict(spec.variables),
        secrets=secrets,
        volumes=tuple(
            Volume(
                type=v.type,
                source=v.source,
                mount_path=v.mount_path,
                revision=v.revision,
                read_only=v.read_only,
                path=v.path,
            )
            for v in spec.volumes
        ),
        card=card,
        files=tuple(files),
        app_file=app_file(spec),
        lifecycle=Lifecycle(
            prevent_destroy=spec.lifecycle.prevent_destroy,
            ignore_changes=tuple(spec.lifecycle.ignore_changes),
            ignore_lint=tuple(spec.lifecycle.ignore_lint),
        ),
    )
