"""Space-specific lint: what the Hub would only reveal after a failed build or silently ignore.

Every rule has an id; `lifecycle.ignoreLint: [id]` silences it for one Space.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from reconciler.errors import Severity
from reconciler.manifests.context import DocContext
from reconciler.manifests.schema_models import Space
from reconciler.manifests.sensitive import secret_looking
from reconciler.manifests.source import Listing

ZEROGPU = "zero-a10g"
ZEROGPU_TORCH = ("2.8.0", "2.9.1", "2.10.0", "2.11.0")
ZEROGPU_PYTHON = ("3.10", "3.12")
PLATFORM_PACKAGES = ("gradio", "spaces", "huggingface-hub")
FREE_SLEEP_TIME = 172_800  # cpu-basic Spaces sleep after 48 hours; the Hub ignores other values
DURATION = re.compile(r"^[1-9][0-9]*[smh]$")


SDK, HARDWARE, SOURCE, CARD = ("spec", "sdk"), ("spec", "hardware"), ("spec", "source"), ("spec", "card")
# Without a valid ignoreLint we cannot tell which rules the user silenced.
IGNORE_LINT = ("spec", "lifecycle", "ignoreLint")


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity
    summary: str
    # The manifest fields the rule judges: when one of them was reported invalid, the rule
    # stays silent rather than judge the default that stands in for it.
    reads: tuple[tuple[str, ...], ...]


RULES: dict[str, Rule] = {
    rule.id: rule
    for rule in (
        Rule(
            "zerogpu-gradio-only", Severity.ERROR, "ZeroGPU hardware (zero-a10g) on a non-gradio SDK", (HARDWARE, SDK)
        ),
        Rule(
            "gradio-platform-pin",
            Severity.WARNING,
            "requirements.txt pins gradio, spaces or huggingface_hub",
            (SDK, SOURCE),
        ),
        Rule(
            "zerogpu-torch-version",
            Severity.WARNING,
            "torch pinned to a version ZeroGPU does not accept",
            (HARDWARE, SOURCE),
        ),
        Rule(
            "zerogpu-python-version",
            Severity.WARNING,
            "pythonVersion other than 3.10/3.12 on ZeroGPU",
            (HARDWARE, (*CARD, "pythonVersion")),
        ),
        Rule(
            "gradio-sdk-version-missing",
            Severity.WARNING,
            "gradio Space without sdkVersion",
            (SDK, ("spec", "sdkVersion")),
        ),
        Rule(
            "startup-duration-format",
            Severity.ERROR,
            "startupDurationTimeout not like 30m, 1h, 90s",
            ((*CARD, "startupDurationTimeout"),),
        ),
        Rule(
            "sleep-time-cpu-basic",
            Severity.WARNING,
            "sleepTime on cpu-basic (the Hub ignores it)",
            (HARDWARE, ("spec", "sleepTime")),
        ),
        Rule(
            "card-extra-hardware",
            Severity.WARNING,
            "hardware in card.extra (the Hub ignores it)",
            ((*CARD, "extra"),),
        ),
        Rule(
            "readme-front-matter",
            Severity.WARNING,
            "the app's README.md front matter is replaced",
            (SOURCE, CARD),
        ),
        Rule(
            "gitignored-files",
            Severity.WARNING,
            "files of the source folder its .gitignore matches (the Hub drops them; not uploaded)",
            (SOURCE,),
        ),
        Rule(
            "files-outside-git",
            Severity.WARNING,
            "files of the source folder the repository's git ignores (uploaded from this checkout only)",
            (SOURCE,),
        ),
        Rule(
            "secret-looking-variable",
            Severity.WARNING,
            "a variable (public) named like a credential",
            (("spec", "variables"),),
        ),
        Rule(
            "workflow-credential",
            Severity.WARNING,
            "a secret reads the deploy workflow's own credential",
            (("spec", "secrets"),),
        ),
        Rule(
            "secret-file-not-ignored",
            Severity.WARNING,
            "a fromFile secret reads a file git does not ignore",
            (("spec", "secrets"),),
        ),
    )
}

# Rule ids a manifest may still name in ignoreLint although the rule no longer exists:
# static-hardware became the validate error "a static Space runs on no hardware" (the Hub
# refuses the request, hub_rules.py), which says it once.
RETIRED_RULES = frozenset({"static-hardware"})


def follows_invalid(ctx: DocContext, rule_id: str) -> bool:
    """Whether the rule would judge a value already reported invalid (or a fallback for it)."""
    return ctx.fell_back(*RULES[rule_id].reads, IGNORE_LINT)


def _first_paths(paths: tuple[str, ...], limit: int = 5) -> str:
    """The first paths of a sorted listing, and how many more (render.words.names does the same
    for the plan; importing the renderers here would load their templates with every manifest)."""
    return ", ".join(paths[:limit]) + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def _emit(ctx: DocContext, rule_id: str, path: tuple[str | int, ...], message: str, hint: str | None) -> None:
    if not follows_invalid(ctx, rule_id):
        ctx.add(RULES[rule_id].severity, message, ctx.at(path), hint, rule_id)


def run(ctx: DocContext, space: Space, listing: Listing | None) -> None:
    spec, card = space.spec, space.spec.card
    if spec.hardware == ZEROGPU and spec.sdk != "gradio":
        _emit(
            ctx,
            "zerogpu-gradio-only",
            ("spec", "hardware"),
            f"ZeroGPU (zero-a10g) only runs gradio Spaces; this Space uses sdk {spec.sdk}",
            "use a dedicated GPU flavor such as t4-small or l4x1, or switch to sdk: gradio",
        )
    if spec.sdk == "gradio" and spec.sdk_version is None:
        _emit(
            ctx,
            "gradio-sdk-version-missing",
            ("spec", "sdk"),
            "gradio Space without sdkVersion: the Hub picks the latest gradio, so builds are not reproducible",
            'pin it, e.g. sdkVersion: "6.15.1"',
        )
    if spec.hardware == ZEROGPU and card.python_version is not None:
        major_minor = ".".join(card.python_version.split(".")[:2])
        if major_minor not in ZEROGPU_PYTHON:
            _emit(
                ctx,
                "zerogpu-python-version",
                ("spec", "card", "pythonVersion"),
                f"ZeroGPU supports Python 3.10 and 3.12, not {card.python_version}",
                'use pythonVersion: "3.12" (or "3.10")',
            )
    if card.startup_duration_timeout is not None and not DURATION.match(card.startup_duration_timeout):
        _emit(
            ctx,
            "startup-duration-format",
            ("spec", "card", "startupDurationTimeout"),
            f"startupDurationTimeout {card.startup_duration_timeout!r} is not a duration the Hub accepts",
            "write a number and a unit: 90s, 30m or 1h",
        )
    sleep = spec.sleep_time
    if spec.hardware == "cpu-basic" and sleep is not None and (sleep == -1 or sleep > 0) and sleep != FREE_SLEEP_TIME:
        _emit(
            ctx,
            "sleep-time-cpu-basic",
            ("spec", "sleepTime"),
            "sleepTime has no effect on cpu-basic: the Hub puts free Spaces to sleep after 48 hours",
            "remove sleepTime, or choose an upgraded hardware flavor",
        )
    if "hardware" in card.extra:
        _emit(
            ctx,
            "card-extra-hardware",
            ("spec", "card", "extra", "hardware"),
            "the Hub ignores `hardware` in the README front matter",
            "set spec.hardware instead (or card.suggestedHardware for duplicators)",
        )
    for name in spec.variables:
        if secret_looking(name):
            _emit(
                ctx,
                "secret-looking-variable",
                ("spec", "variables", name),
                f"variable {name} looks like a credential, but variables are public: anyone can read them "
                "on the Space's page",
                f"if it is a secret, move it to spec.secrets (`{name}: {{fromEnv: {name}}}`) and rotate it",
            )
    if listing is not None:
        _requirements(ctx, space, listing)
    if listing is not None and listing.gitignored:
        _emit(
            ctx,
            "gitignored-files",
            ("spec", "source", "path"),
            f"{len(listing.gitignored)} file(s) left out because the folder's .gitignore matches them "
            f"(the Hub drops such files from a commit): {_first_paths(listing.gitignored)}",
            "remove them from the folder or from .gitignore, or add them to spec.source.exclude",
        )
    if listing is not None and listing.outside_git:
        _emit(
            ctx,
            "files-outside-git",
            ("spec", "source", "path"),
            f"{len(listing.outside_git)} file(s) of the source folder are ignored by the repository's git: "
            f"they are uploaded from this checkout, but a fresh clone (CI) has none of them: "
            f"{_first_paths(listing.outside_git)}",
            "if they are secrets (.env, keys), add them to spec.source.exclude; if they are built, build them "
            "where apply runs",
        )


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(.*)$")


def requirements(lines: tuple[str, ...]) -> dict[str, str]:
    """Package name (normalized) -> its version specifier ('' when unpinned)."""
    result: dict[str, str] = {}
    for line in lines:
        line = line.split("#", 1)[0].split(";", 1)[0].strip()
        match = _REQUIREMENT.match(line) if line and not line.startswith("-") else None
        if match:
            name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
            result[name] = match.group(3).strip()
    return result


def _requirements(ctx: DocContext, space: Space, listing: Listing) -> None:
    spec = space.spec
    pins = requirements(listing.requirements)
    if spec.sdk == "gradio":
        for name in PLATFORM_PACKAGES:
            if pins.get(name):
                _emit(
                    ctx,
                    "gradio-platform-pin",
                    ("spec", "source", "path"),
                    f"requirements.txt pins {name}{pins[name]}: the platform installs {name} itself "
                    "(from sdkVersion), and a pin breaks dependency resolution or ZeroGPU",
                    f"remove the version of {name} from requirements.txt (gradio: set spec.sdkVersion)",
                )
    torch = pins.get("torch")
    if spec.hardware == ZEROGPU and torch and not any(_satisfies(v, torch) is not False for v in ZEROGPU_TORCH):
        _emit(
            ctx,
            "zerogpu-torch-version",
            ("spec", "source", "path"),
            f"requirements.txt asks for torch{torch}, but ZeroGPU accepts only torch {', '.join(ZEROGPU_TORCH)}",
            "pin one of the accepted versions, e.g. torch==2.9.1",
        )


def _version(text: str) -> tuple[int, ...] | None:
    parts = text.strip().split("+", 1)[0].split(".")
    return tuple(int(p) for p in parts) if all(p.isdigit() for p in parts) else None


def _satisfies(version: str, specifier: str) -> bool | None:
    """Does `version` meet every clause of `specifier`? None when we cannot tell."""
    have = _version(version)
    assert have is not None
    for clause in specifier.split(","):
        match = re.match(r"^\s*(===|==|!=|~=|>=|<=|>|<)\s*(\S+)\s*$", clause)
        if not match:
            return None
        op, text = match.groups()
        if op in ("==", "!=") and text.endswith(".*"):
            want = _version(text[:-2])
            if want is None:
                return None
            equal = have[: len(want)] == want
            if equal != (op == "=="):
                return False
            continue
        want = _version(text)
        if want is None:
            return None
        width = max(len(have), len(want))
        a, b = have + (0,) * (width - len(have)), want + (0,) * (width - len(want))
        ok = {
            "==": a == b,
            "===": a == b,
            "!=": a != b,
            ">=": a >= b,
            "<=": a <= b,
            ">": a > b,
            "<": a < b,
            "~=": a >= b and have[: len(want) - 1] == want[:-1],
        }[op]
        if not ok:
            return False
    return True
