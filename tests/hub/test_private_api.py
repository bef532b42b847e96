"""huggingface_hub private API we depend on: fail loudly when the client changes it."""

from __future__ import annotations

import inspect

from huggingface_hub import HfApi


def test_create_commit_still_takes_the_private_hot_reload_flag() -> None:
    parameters = inspect.signature(HfApi.create_commit).parameters
    assert "_hot_reload" in parameters, (
        "huggingface_hub.HfApi.create_commit no longer accepts _hot_reload: the hot-reload rung "
        "(reconciler/hub/writes.py SpaceWriter.commit) must be adapted to the client's new API"
    )
    assert parameters["_hot_reload"].kind is inspect.Parameter.KEYWORD_ONLY
    assert "parent_commit" in parameters
