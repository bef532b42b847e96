"""The behaviours no recording shows (hub-contract §13), one switch each.

Every field is one row of §13. Its default is what the evidence shows and, where the
evidence is silent, the least convenient behaviour it allows: the reconciler must converge
on the Hub we cannot see. Tests flip a switch to run the other way (`POST /_localhub/fidelity`
or `LocalHub(fidelity=...)`); the product must converge under both positions.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass
class Fidelity:
    """Every switch is a bool, so "every switch flipped" is one well-defined position."""

    # runtime `sha` (the commit the Space runs). Evidence: absent from every recorded body
    # (tests/localhub/cassettes, huggingface.js `SpaceRuntime`, huggingface_hub 2.4 `SpaceRuntime`
    # parses no sha). Default: not sent. True: sent, the commit of the running image.
    runtime_sha: bool = False
    # stage right after a commit or restart. Evidence: builds start asynchronously (a public report
    # of a Space still RUNNING the old code right after a push); nothing says how long. Default: the
    # old stage (RUNNING, or the old RUNTIME_ERROR) stays `LocalHub(stage_lag_seconds=...)` before
    # BUILDING. False: BUILDING (or APP_STARTING) from the first read after the write.
    old_stage_after_commit: bool = True
    # secret `description` / `updatedAt` read back by GET secrets. Evidence: writes accept a
    # description (cassette), and huggingface_hub 2.4 `SpaceSecret` parses both from GET; no
    # recording of a read. Default: returned. False: dropped on read (key only).
    secret_metadata_on_read: bool = True
    # binary content sent inline in a commit (a `file` line whose sample holds a NUL byte).
    # Evidence: the Hub refuses binary files in plain git (huggingface_hub PR #657: over 1 MB;
    # hub-contract §8.2: "use Xet to store binary files"); smaller ones are not recorded.
    # Default: refused with a 400 (localhub/routes_git.py BINARY). False: stored as a plain blob.
    inline_binary_refused: bool = True
    # `visibility` (protected) in space_info / list_spaces. Evidence: not an expand key
    # (huggingface_hub 2.4 EXPAND_SPACE_PROPERTY_T) nor a SpaceInfo field; only `private` is.
    # Default: never sent, a protected Space reads `private: true`. True: `visibility` sent with
    # every info and listing item, and protected reads `private: false` (routes_repos.py).
    visibility_on_read: bool = False
    # repository mounts (model, dataset, space). Evidence: huggingface_hub 2.4 `Volume.read_only`
    # "Forced `True` for repos" (_space_api.py). Default: read back `readOnly: true` whatever was
    # written. False: read back as written (routes_spaces.mounted).
    repo_mounts_read_only: bool = True
    # RateLimit headers. Evidence: the documented `"api";r=..;t=..` format (huggingface_hub
    # parse_ratelimit_headers) and separate buckets (Hub docs, "Hub rate limits"). Default: sent on
    # every response, naming its bucket (resolvers, else api). False: only while a rate-limit
    # fault is set (ratelimit.py).
    rate_limit_headers: bool = True
    # per-action limits (commits, repo creation): undocumented. Default: the 429 carries the api
    # bucket's header with budget left (r>0), the least a client can learn from it. False: the
    # 429 names the action's own bucket with r=0 (ratelimit.py).
    per_action_429_in_api_bucket: bool = True
    # repo ids. Evidence: hub-contract §13, the Hub answers a same-name repo in another case with
    # 409. Default: ids in any case name one repo, kept as created. False: case-sensitive ids.
    case_insensitive_ids: bool = True
    # overlapping creates by one user. Evidence: huggingface_hub create_repo re-POSTs while the
    # Hub answers 409 "another conflicting operation is in progress" (hf_api.py). Default: a
    # create while another of the same user is in flight gets that 409 (contention.py). False: never.
    concurrent_create_conflicts: bool = True
    # paid hardware without billing. Evidence: hub-contract §13 (402; create_repo handles 402).
    # Default: 402 unless the namespace `canPay` (accounts.py). False: accepted.
    paid_hardware_needs_billing: bool = True
    # dev mode. Evidence: Hub docs, "Spaces Dev Mode": PRO users, Team and Enterprise orgs.
    # Default: refused (403) on other plans. False: accepted.
    dev_mode_needs_plan: bool = True
    # static Spaces. Evidence: hub-contract §13; the recorded static runtime has no hardware.
    # Default: hardware, volumes, dev mode and pause refused (400), a new static Space holds
    # index.html and style.css (space_rules.py). False: accepted, and no seeded files.
    static_space_rules: bool = True
    # listing items without `expand` or `full`. Evidence: huggingface_hub 2.4 list_spaces docstring
    # (`full` adds last_modified, siblings and card_data); no recording of the rest. Default: only
    # `_id` and `id` (routes_repos._listed). True: every field space_info sends.
    full_listing_without_expand: bool = False

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def update(self, changes: dict[str, Any]) -> None:
        """Set the named switches; unknown names or wrong types raise ValueError, nothing set."""
        kinds = {f.name: type(getattr(self, f.name)) for f in dataclasses.fields(self)}
        for name, value in changes.items():
            if name not in kinds:
                raise ValueError(f"unknown switch {name!r}; known: {', '.join(sorted(kinds))}")
            if type(value) is not kinds[name]:
                raise ValueError(f"switch {name!r} takes a {kinds[name].__name__}")
        for name, value in changes.items():
            setattr(self, name, value)

    @classmethod
    def flipped(cls) -> Fidelity:
        """Every switch the other way from its default."""
        defaults = cls()
        return cls(**{f.name: not getattr(defaults, f.name) for f in dataclasses.fields(cls)})


SWITCHES: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Fidelity))
