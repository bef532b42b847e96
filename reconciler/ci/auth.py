"""How the run authenticates to the Hub: the hf-token input, else keyless (Trusted Publishers).

Keyless: huggingface_hub exchanges the job's GitHub OIDC id token (available with
`permissions: id-token: write`) for a short-lived Hub token when HF_OIDC_RESOURCE is set. Such
a token is scoped to ONE repository, so the action sets the resource only when the run touches
exactly one Space (`--target NS/NAME`, or a single manifest); a workflow can also set
HF_OIDC_RESOURCE itself. Anything else runs without a token, which the Hub refuses for the
reads a plan needs (variables, secret names) and for every write: the run says so up front.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence

from reconciler.ci.context import WRITING
from reconciler.errors import UserError
from reconciler.targets import resolve_targets


def targets(args: Sequence[str]) -> list[str]:
    found = []
    for index, arg in enumerate(args):
        if arg == "--target" and index + 1 < len(args):
            found.append(args[index + 1])
        elif arg.startswith("--target="):
            found.append(arg.split("=", 1)[1])
    return found


def _scope(given: list[str], space_ids: Sequence[str]) -> list[str]:
    """The Spaces the run covers: --target takes names and globs too (reconciler/targets.py)."""
    if not given:
        return list(space_ids)
    try:
        return list(resolve_targets(given, space_ids))
    except UserError:
        return given  # the command itself reports the bad target


def configure(
    env: MutableMapping[str, str], command: str, args: Sequence[str], space_ids: Sequence[str]
) -> tuple[str, str | None]:
    """Set up env for the Hub client. Returns (how it authenticates, a warning or None)."""
    token = env.pop("INPUT_HF_TOKEN", "")
    if token:
        env["HF_TOKEN"] = token
        return "hf-token", None
    if env.get("HF_TOKEN"):
        return "HF_TOKEN", None
    if env.get("HF_OIDC_RESOURCE"):
        return f"keyless (HF_OIDC_RESOURCE={env['HF_OIDC_RESOURCE']})", None
    oidc = bool(env.get("ACTIONS_ID_TOKEN_REQUEST_URL") and env.get("ACTIONS_ID_TOKEN_REQUEST_TOKEN"))
    scope = _scope(targets(args), space_ids)
    if oidc and len(scope) == 1:
        env["HF_OIDC_RESOURCE"] = f"spaces/{scope[0]}"
        return f"keyless (Trusted Publisher of spaces/{scope[0]})", None
    if oidc:
        why = (
            f"keyless auth gives a token for one Space, and this run covers {len(scope)}: "
            "run one job per Space with args: --target NS/NAME, or pass hf-token"
        )
    else:
        why = "no hf-token and no OIDC id token (permissions: id-token: write)"
    if command in WRITING:
        return "none", f"{why}; the Hub will refuse writes"
    return "none", f"{why}; the Hub shows Space variables and secrets to authenticated callers only"
