"""hf_xet's upload settings that bound apply's memory, set before the client's Xet session starts.

hf_xet reads its configuration from the environment once, when huggingface_hub creates the
process's `XetSession` (utils/_xet.py, on the first Xet transfer), so these are set in the
environment at HubClient creation. A value the user set is kept: when any variable of a group
(or high performance mode, which overrides the upload concurrency after the environment,
xet-core xet_runtime/src/config/xet_config.rs `with_high_performance`) is present, nothing of
that group is set.

What they buy (benchmark P9): every xorb hf_xet has in flight is 64 MiB of memory, and its
adaptive concurrency grows the number in flight on a fast link (803 MB peak for a 2 GiB upload
to the local Hub with hf_xet's own settings, 292-344 MB with these). One upload stream keeps it
at the floor: one xorb uploading, the next one serialized and, while that one is serialized, its
chunks (about 200 MB: hf_xet 1.8.0 serializes a xorb before it waits for an upload permit,
xet_data/src/processing/file_upload_session.rs `register_new_xorb`; the README's P9 note gives
the figures).
"""

from __future__ import annotations

from collections.abc import MutableMapping

# xet-core xet_runtime/src/config/groups/client.rs (ac_initial/min/max_upload_concurrency, defaults
# 2/1/64) and xet_runtime/src/config/aliases.rs: HF_XET_FIXED_UPLOAD_CONCURRENCY sets all three.
# The current names win over the alias, so the alias is set only when none of them is.
UPLOAD_CONCURRENCY = "HF_XET_FIXED_UPLOAD_CONCURRENCY"
_UPLOAD_CONCURRENCY_GROUP = (
    UPLOAD_CONCURRENCY,
    "HF_XET_CLIENT_AC_INITIAL_UPLOAD_CONCURRENCY",
    "HF_XET_CLIENT_AC_MIN_UPLOAD_CONCURRENCY",
    "HF_XET_CLIENT_AC_MAX_UPLOAD_CONCURRENCY",
    "HF_XET_CLIENT_ENABLE_ADAPTIVE_CONCURRENCY",
    # xet_runtime/src/utils/configuration_utils.rs get_high_performance_flag
    "HF_XET_HIGH_PERFORMANCE",
    "HF_XET_HP",
)
# xet-core xet_runtime/src/config/groups/data.rs `ingestion_block_size` (default 8mb): the file is
# read in blocks of this size, and a xorb's chunks keep the blocks they were cut from alive, so
# smaller blocks leave less of them held at a xorb's edges (measured: 45 MB less at the peak).
INGESTION_BLOCK_SIZE = "HF_XET_DATA_INGESTION_BLOCK_SIZE"
_INGESTION_BLOCK_GROUP = (INGESTION_BLOCK_SIZE, "HF_XET_INGESTION_BLOCK_SIZE")

_DEFAULTS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (_UPLOAD_CONCURRENCY_GROUP, UPLOAD_CONCURRENCY, "1"),
    (_INGESTION_BLOCK_GROUP, INGESTION_BLOCK_SIZE, "1mb"),
)


def upload_settings(environ: MutableMapping[str, str]) -> dict[str, str]:
    """The settings this environment lacks, by variable (none of a group the user set)."""
    return {name: value for group, name, value in _DEFAULTS if not any(key in environ for key in group)}


def bound_upload_memory(environ: MutableMapping[str, str]) -> None:
    environ.update(upload_settings(environ))
