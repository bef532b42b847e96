"""`reconcile schema`: write the JSON Schema of every manifest kind."""

from __future__ import annotations

from pathlib import Path

import click

from reconciler.manifests import jsonschema


@click.command("schema")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    default=Path("schemas"),
    show_default=True,
    help="Folder to write the *.schema.json files into.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the files in --out are out of date.")
def command(out: Path, check: bool) -> int:
    """Write the JSON Schema of the manifest kinds (Space, SpaceSet, any manifest).

    Editors use them through the modeline
    `# yaml-language-server: $schema=../schemas/manifest.schema.json`.
    """
    if check:
        stale = jsonschema.stale(out)
        for name in stale:
            click.echo(f"{out / name}: out of date; run `reconcile schema --out {out}`")
        return 1 if stale else 0
    for path in jsonschema.write(out):
        click.echo(f"wrote {path}")
    return 0
