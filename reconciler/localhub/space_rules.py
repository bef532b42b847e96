"""The Hub's refusals for Space settings: static Spaces, paid hardware, dev mode (hub-contract §13).

- Static Spaces are served as files, with no container: hardware, volumes, dev mode and pause
  are refused with 400 (hub-contract §13 "static Spaces"; the recorded static Space's runtime
  has `hardware: {current: null, requested: null}`, tests/localhub/cassettes/
  space-test_static_space_runtime.yaml).
- Paid hardware without a payment method: 402 (hub-contract §13; huggingface_hub's create_repo
  handles a 402 beside 401/403, hf_api.py). Billing is the namespace owner's (`canPay`).
- Dev mode: PRO users, Team and Enterprise organizations only (Hub docs, "Spaces Dev Mode").
  No recording gives the status; 403 (refused for this account, not a malformed request).

Each rule has a switch in the §13 registry; off, the local Hub accepts what the Hub would refuse.
"""

from __future__ import annotations

from typing import Any

from reconciler.localhub import hardware
from reconciler.localhub.errors import HubError, bad_request
from reconciler.localhub.web import Ctx


def refuse_static(ctx: Ctx, static: bool, what: str) -> None:
    if static and ctx.core.fidelity.static_space_rules:
        raise bad_request(f"Static Spaces cannot use {what}: they are served as files, without a container")


def refuse_hardware(ctx: Ctx, namespace: str, flavor: str) -> None:
    if (
        hardware.is_paid(flavor)
        and not ctx.core.accounts.can_pay(namespace)
        and ctx.core.fidelity.paid_hardware_needs_billing
    ):
        raise HubError(
            402,
            f"{flavor} is billed per minute: add a payment method to {namespace} (Settings > Billing) to use it",
        )


def refuse_dev_mode(ctx: Ctx, namespace: str) -> None:
    if not ctx.core.accounts.dev_mode_allowed(namespace) and ctx.core.fidelity.dev_mode_needs_plan:
        raise HubError(403, "Dev Mode is only available to PRO users and Team or Enterprise organizations")


def refuse_space_options(ctx: Ctx, namespace: str, sdk: Any, body: dict[str, Any]) -> None:
    """The rules for the settings a create or duplicate request carries."""
    static = sdk == "static"
    if body.get("hardware") is not None:
        refuse_static(ctx, static, "hardware")
        if body["hardware"] in hardware.FLAVORS:
            refuse_hardware(ctx, namespace, body["hardware"])
    if body.get("volumes"):
        refuse_static(ctx, static, "volumes")


def static_seed_files(ctx: Ctx, name: str) -> dict[str, bytes]:
    """What the Hub commits into a new static Space besides its README (hub-contract §13)."""
    if not ctx.core.fidelity.static_space_rules:
        return {}
    page = (
        '<!doctype html>\n<html>\n  <head>\n    <meta charset="utf-8" />\n'
        '    <meta name="viewport" content="width=device-width" />\n'
        f'    <title>{name}</title>\n    <link rel="stylesheet" href="style.css" />\n  </head>\n'
        "  <body>\n    <h1>Welcome to your static Space!</h1>\n"
        "    <p>Edit <code>index.html</code> to change this page.</p>\n  </body>\n</html>\n"
    )
    style = "body {\n  padding: 2rem;\n  font-family: -apple-system, BlinkMacSystemFont, Arial, sans-serif;\n}\n"
    return {"index.html": page.encode(), "style.css": style.encode()}
