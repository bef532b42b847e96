"""Rules the Hub enforces on a Space's settings, checked before anything is sent to it.

Validate time (this module's `check_hub_rules`): what the manifest alone decides.
- A static Space is served as files, with no container: the Hub refuses hardware, volumes,
  dev mode and pausing for it with a 400 (hub-contract §13; huggingface_hub's
  restart_space/request_space_hardware docs speak of Spaces that run on hardware).
- A repository mount (model, dataset, space) is always read-only: huggingface_hub 2.4
  `Volume.read_only` is "Forced `True` for repos" (_space_api.py), so `readOnly: false` could
  never be applied and would show as a difference forever.

Plan time (`account_problems`): what depends on who owns the namespace, read from whoami
(`GET /api/whoami-v2`: `isPro`, `canPay`, `plan` on the user and on each org, per
huggingface.js hub/src/lib/who-am-i.ts).
- Dev mode is for PRO users and Team or Enterprise organizations (Hub docs, spaces-dev-mode).
- Paid hardware needs a billing method: the Hub answers 402 otherwise (hub-contract §13).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reconciler.errors import Diagnostic, Location, Severity
from reconciler.manifests.context import DocContext
from reconciler.manifests.schema_models import Space
from reconciler.model import Action, DesiredSpace, Plan, PlanEntry

REPO_MOUNTS = frozenset({"model", "dataset", "space"})
FREE_HARDWARE = frozenset({"cpu-basic", "zero-a10g"})  # zero-a10g: ZeroGPU, no per-hour bill
DEV_MODE_PLANS = frozenset({"pro", "team", "enterprise"})


def check_hub_rules(ctx: DocContext, space: Space) -> None:
    spec = space.spec
    if spec.sdk == "static":
        given = spec.model_fields_set
        if "hardware" in given:
            ctx.error(
                ("spec", "hardware"),
                "a static Space runs on no hardware; the Hub refuses a hardware request for it",
                "remove spec.hardware, or use sdk docker or gradio",
            )
        for key, field_name, what in (("devMode", "dev_mode", "dev mode"), ("paused", "paused", "pausing")):
            if getattr(spec, field_name):
                ctx.error(("spec", key), f"a static Space has no container; the Hub refuses {what} for it")
        if spec.volumes:
            ctx.error(("spec", "volumes"), "a static Space has no container to mount volumes in; the Hub refuses them")
    for index, volume in enumerate(spec.volumes):
        if volume.type in REPO_MOUNTS and volume.read_only is False:
            ctx.error(
                ("spec", "volumes", index, "readOnly"),
                f"a {volume.type} mount is always read-only on the Hub; readOnly: false cannot be applied",
                "remove readOnly (or mount a bucket for writable storage)",
            )


class AccountProblem(str, enum.Enum):
    DEV_MODE_NEEDS_PLAN = "dev-mode-needs-plan"
    PAID_HARDWARE_NEEDS_BILLING = "paid-hardware-needs-billing"


@dataclass(frozen=True)
class Account:
    """What whoami tells about one namespace the token can act in."""

    name: str
    dev_mode: bool
    can_pay: bool


def accounts(whoami: Mapping[str, Any]) -> dict[str, Account]:
    """Per namespace (the user and each org, lower-cased: ids are case-insensitive)."""
    found: dict[str, Account] = {}
    user_plan = str(whoami.get("plan") or "").lower()
    name = str(whoami.get("name") or "")
    if name:
        found[name.lower()] = Account(
            name, bool(whoami.get("isPro")) or user_plan in DEV_MODE_PLANS, bool(whoami.get("canPay"))
        )
    for org in whoami.get("orgs") or ():
        org_name = str(org.get("name") or "")
        if org_name:
            plan = str(org.get("plan") or "").lower()
            found[org_name.lower()] = Account(org_name, plan in DEV_MODE_PLANS, bool(org.get("canPay")))
    return found


def account_problems(
    namespace: str, *, dev_mode: bool, hardware: str, known: Mapping[str, Account]
) -> tuple[AccountProblem, ...]:
    """What the Hub would refuse for this namespace. Nothing when whoami did not name it
    (another token's namespace: the write check reports that)."""
    account = known.get(namespace.lower())
    if account is None:
        return ()
    problems = []
    if dev_mode and not account.dev_mode:
        problems.append(AccountProblem.DEV_MODE_NEEDS_PLAN)
    if hardware not in FREE_HARDWARE and not account.can_pay:
        problems.append(AccountProblem.PAID_HARDWARE_NEEDS_BILLING)
    return tuple(problems)


PROBLEM_TEXT = {
    AccountProblem.DEV_MODE_NEEDS_PLAN: (
        "dev mode needs a PRO plan (user) or a Team or Enterprise plan (organization); {namespace} has none",
        "set devMode: false, or move the Space to a namespace with such a plan",
    ),
    AccountProblem.PAID_HARDWARE_NEEDS_BILLING: (
        "hardware {hardware} is billed, and {namespace} has no payment method (the Hub answers 402)",
        "add a payment method to {namespace} on the Hub, or use cpu-basic",
    ),
}


def written_account_settings(entry: PlanEntry, desired: DesiredSpace) -> tuple[bool, str]:
    """(dev mode, hardware) as applying `entry` asks the Hub for them; (False, cpu-basic)
    stands for "not written"."""
    paths = {change.path for change in entry.changes}
    creates = entry.action is Action.CREATE
    dev_mode = desired.dev_mode and (creates or "spec.devMode" in paths)
    hardware = desired.hardware if creates or "spec.hardware" in paths else "cpu-basic"
    return dev_mode, hardware


def account_diagnostics(
    plan: Plan, desired: Mapping[str, DesiredSpace], whoami: Mapping[str, Any]
) -> dict[str, tuple[Diagnostic, ...]]:
    """Per Space whose planned writes the Hub would refuse for its namespace, one error per refusal."""
    known = accounts(whoami)
    found: dict[str, tuple[Diagnostic, ...]] = {}
    for entry in plan.spaces:
        want = desired.get(entry.id)
        if want is None:
            continue
        dev_mode, hardware = written_account_settings(entry, want)
        ref = want.source_ref
        for problem in account_problems(want.namespace, dev_mode=dev_mode, hardware=hardware, known=known):
            message, hint = PROBLEM_TEXT[problem]
            found[entry.id] = (
                *found.get(entry.id, ()),
                Diagnostic(
                    Severity.ERROR,
                    f"{entry.id}: " + message.format(namespace=want.namespace, hardware=want.hardware),
                    Location(ref.file, ref.line, ref.col),
                    hint.format(namespace=want.namespace),
                ),
            )
    return found
