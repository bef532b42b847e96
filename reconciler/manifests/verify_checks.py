"""spec.verify: what the schema cannot say (regular expressions, durations, gradio-only checks),
and its conversion into the model's VerifySpec."""

from __future__ import annotations

import re

from reconciler.manifests.context import DocContext, dotted
from reconciler.manifests.schema_models import SmokeCall as SmokeModel
from reconciler.manifests.schema_models import SpaceSpec, Verify, VerifyExpect
from reconciler.model import Expectation, ExpectKind, SmokeCall, VerifySpec

_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)([smh]?)$")
_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}
_API_NAME = re.compile(r"^/[A-Za-z0-9_./-]*$")


def seconds(value: str | int) -> float | None:
    """90s, 10m, 1h or a number of seconds -> seconds; None when it is none of these or not > 0."""
    if isinstance(value, int):
        return float(value) if value > 0 else None
    found = _DURATION.match(value.strip())
    if not found:
        return None
    result = float(found.group(1)) * _UNITS[found.group(2)]
    return result if result > 0 else None


def check_verify(ctx: DocContext, spec: SpaceSpec) -> None:
    verify = spec.verify
    if verify is None:
        return
    base = ("spec", "verify")
    _duration(ctx, (*base, "timeout"), verify.timeout)
    for section in ("forbid", "expect"):
        for index, pattern in enumerate(getattr(verify.logs, section)):
            try:
                re.compile(pattern)
            except re.error as problem:
                ctx.error(
                    (*base, "logs", section, index),
                    f"spec.verify.logs.{section}[{index}] is not a regular expression: {problem.msg}"
                    + (f" at position {problem.pos}" if problem.pos is not None else ""),
                    "escape ( ) [ ] . * + ? with a backslash to match them literally (written \\\\ in double quotes)",
                )
    if spec.sdk != "gradio" and (verify.endpoints or verify.smoke):
        key = "endpoints" if verify.endpoints else "smoke"
        ctx.error(
            (*base, key),
            f"spec.verify.{key} needs a gradio Space (its API is read through gradio_client); this one uses sdk "
            f"{spec.sdk}",
            "keep spec.verify.logs, which works for every SDK",
        )
    for index, name in enumerate(verify.endpoints):
        _api_name(ctx, (*base, "endpoints", index), name)
    for index, call in enumerate(verify.smoke):
        _api_name(ctx, (*base, "smoke", index, "api"), call.api)
        _duration(ctx, (*base, "smoke", index, "timeout"), call.timeout)


def _duration(ctx: DocContext, path: tuple[str | int, ...], value: str | int) -> None:
    if seconds(value) is None:
        ctx.error(path, f"{dotted(path)}: {value!r} is not a duration like 90s, 10m or 1h")


def _api_name(ctx: DocContext, path: tuple[str | int, ...], name: str) -> None:
    if not _API_NAME.match(name):
        ctx.error(
            path, f"{dotted(path)}: {name!r} is not an api_name like /predict (a '/' then letters, digits, '_', '-')"
        )


def verify_spec(verify: Verify | None) -> VerifySpec | None:
    """The model's VerifySpec of a checked spec.verify (check_verify found no error)."""
    if verify is None:
        return None
    return VerifySpec(
        timeout_s=seconds(verify.timeout) or 600.0,
        forbid=tuple(verify.logs.forbid),
        expect=tuple(verify.logs.expect),
        endpoints=tuple(verify.endpoints),
        smoke=tuple(_smoke(call) for call in verify.smoke),
    )


def _smoke(call: SmokeModel) -> SmokeCall:
    args = tuple(call.args) if isinstance(call.args, list) else dict(call.args)
    return SmokeCall(api=call.api, args=args, timeout_s=seconds(call.timeout) or 120.0, expect=_expect(call.expect))


def _expect(expect: VerifyExpect | None) -> Expectation | None:
    if expect is None:
        return None
    for kind, field in (
        (ExpectKind.MIME, "kind"),
        (ExpectKind.CONTAINS, "contains"),
        (ExpectKind.EQUALS, "equals"),
        (ExpectKind.JSON, "json_"),
        (ExpectKind.TYPE, "type"),
    ):
        if field in expect.model_fields_set:
            return Expectation(kind=kind, value=getattr(expect, field))
    return None
