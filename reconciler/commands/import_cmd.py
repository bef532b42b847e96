"""`reconcile import`: adopt live Spaces into manifests and source folders."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import click

from reconciler.commands._common import hub_client, load_fleet
from reconciler.errors import UserError
from reconciler.hub.cache import TreeCache
from reconciler.hub.client import HubClient
from reconciler.hub.observe import Listed, download_files, info_one, list_namespace, observe_one
from reconciler.importer import destination_problems, dump_manifest, manifest_for, source_readme
from reconciler.manifests import jsonschema
from reconciler.manifests.source import README
from reconciler.model import ObservedSpace
from reconciler.workspace import repository_root, tree_cache_dir

# The modeline of an imported manifest points at the schema `reconcile schema` writes at the
# repository root (its default --out); import writes it there when it is missing, so the
# editor finds it with no network and no published URL to keep in step with the code.
SCHEMA_DIR = "schemas"
SCHEMA_NAME = "manifest.schema.json"


SECRETS_NOTE = "Secrets are referenced as fromEnv with their own names; set those variables before apply."


@click.command(name="import")
@click.argument("space_id", required=False, metavar="NS/NAME")
@click.option("--namespace", metavar="NS", help="Import every Space of this namespace.")
@click.option(
    "--source-dir",
    type=click.Path(path_type=Path),
    metavar="DIR",
    help="Folder for the Space's files (one Space only).",
)
@click.option("--out", type=click.Path(path_type=Path), metavar="FILE", help="Manifest file to write (one Space only).")
@click.option(
    "--manifests-dir", type=click.Path(path_type=Path), metavar="DIR", default=Path("manifests"), show_default=True
)
@click.option(
    "--force",
    is_flag=True,
    help="Import Spaces that already have a manifest too, overwriting manifest files and source folders.",
)
@click.pass_context
def command(
    ctx: click.Context,
    space_id: str | None,
    namespace: str | None,
    source_dir: Path | None,
    out: Path | None,
    manifests_dir: Path,
    force: bool,
) -> int:
    """Write a manifest (and download the files) that reproduce live Spaces, to bring them under git."""
    if bool(space_id) == bool(namespace):
        raise UserError("give either NS/NAME or --namespace NS")
    if namespace and (source_dir or out):
        raise UserError("--source-dir and --out name one Space's files; they cannot be used with --namespace")
    if space_id and (space_id.count("/") != 1 or not all(space_id.split("/"))):
        raise UserError(f"{space_id}: expected a Space id NS/NAME, e.g. acme/demo")
    with hub_client(ctx) as client:
        if space_id:
            found = info_one(client, space_id)
            if found is None:
                raise UserError(f"{space_id}: not found on the Hub, or this token cannot see it")
            spaces = [found]
        else:
            spaces = sorted(list_namespace(client, namespace or "").values(), key=lambda s: s.id)
        described = {} if force else _described(manifests_dir)
        for listed in spaces:
            if where := described.get(listed.id.lower()):
                click.echo(f"skipped {listed.id}: already described by {where}")
        spaces = [s for s in spaces if s.id.lower() not in described]
        plans = [_destinations(s, manifests_dir, out, source_dir) for s in spaces]
        if not force:
            taken = [str(p) for _, manifest, source in plans for p in (manifest, source) if _occupied(p)]
            if taken:
                raise UserError(f"refusing to overwrite {', '.join(taken)}; pass --force to replace them")
        # Everything is read and checked before anything is written: a Space whose file list
        # would write outside its folder stops the whole import with nothing left behind.
        cache = TreeCache(tree_cache_dir())
        observed = [(observe_one(client, listed, cache), manifest, source) for listed, manifest, source in plans]
        problems = [
            problem
            for space, _, source in observed
            for problem in destination_problems(space.id, (f.path for f in space.files), source)
        ]
        if problems:
            raise UserError("\n".join(problems) + "\nnothing was imported")
        if observed:
            schema = _schema_file()
            for space, manifest, source in observed:
                _import_one(client, space, manifest, source, schema, progress=sys.stderr.isatty())
                click.echo(f"imported {space.id} -> {manifest} (files in {source})")
    if observed:  # only about what was written
        click.echo(SECRETS_NOTE, err=True)
    return 0


def _destinations(
    listed: Listed, manifests_dir: Path, out: Path | None, source_dir: Path | None
) -> tuple[Listed, Path, Path]:
    name = listed.id.split("/", 1)[1]
    return listed, out or manifests_dir / f"{name}.yaml", source_dir or manifests_dir / "apps" / name


def _described(manifests_dir: Path) -> dict[str, str]:
    """Lower-cased Space id -> the manifest that already describes it (FILE:LINE:COL)."""
    if not manifests_dir.exists():
        return {}
    return {d.id.lower(): str(d.source_ref) for d in load_fleet([manifests_dir]).spaces}


def _schema_file() -> Path:
    folder = repository_root() / SCHEMA_DIR
    if not (folder / SCHEMA_NAME).is_file():
        for path in jsonschema.write(folder):
            click.echo(f"wrote {path} (the schema the manifests' modeline points at)", err=True)
    return folder / SCHEMA_NAME


def _occupied(path: Path) -> bool:
    return path.is_file() or (path.is_dir() and any(path.iterdir()))


def _import_one(
    client: HubClient, observed: ObservedSpace, manifest: Path, source: Path, schema: Path, *, progress: bool
) -> None:
    created = [folder for folder in (source, *source.parents) if not folder.exists()]
    try:
        source.mkdir(parents=True, exist_ok=True)
        if observed.sha:
            # Only the checked paths of observed.files are kept, whatever a second listing says.
            download_files(client, observed.id, observed.sha, source, observed.files, progress=progress)
        relative_source = Path(os.path.relpath(source, manifest.parent)).as_posix()
        relative_schema = Path(os.path.relpath(schema.resolve(), manifest.parent.resolve())).as_posix()
        document = manifest_for(observed, relative_source)
        readme = source / README
        if readme.is_file() and (body := source_readme(readme.read_bytes(), document)) is not None:
            readme.write_bytes(body)  # the front matter is the manifest's `card` now
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text(dump_manifest(document, relative_schema), encoding="utf-8")
    except BaseException:
        if created:  # the folders this import made, and nothing else
            shutil.rmtree(created[-1], ignore_errors=True)
        raise
