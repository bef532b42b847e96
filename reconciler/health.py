"""What the Hub says about a Space's health, as closed vocabularies: stages and hot-reload statuses.

Stages are huggingface_hub 2.4's `SpaceStage`; a stage this version does not know reads as
UNKNOWN (never a crash, never a guess). Hot-reload statuses are those of contract §10 and
`hf spaces hot-reload` (`created`, `canceled`; per replica also `alreadyReloading`, `fileNotFound`).
"""

from __future__ import annotations

import enum
from typing import TypeVar


class Stage(str, enum.Enum):
    NO_APP_FILE = "NO_APP_FILE"
    CONFIG_ERROR = "CONFIG_ERROR"
    BUILDING = "BUILDING"
    BUILD_ERROR = "BUILD_ERROR"
    APP_STARTING = "APP_STARTING"
    RUNNING = "RUNNING"
    RUNNING_BUILDING = "RUNNING_BUILDING"
    RUNNING_APP_STARTING = "RUNNING_APP_STARTING"
    RUNTIME_ERROR = "RUNTIME_ERROR"
    DELETING = "DELETING"
    STOPPED = "STOPPED"
    PAUSED = "PAUSED"
    SLEEPING = "SLEEPING"
    UNKNOWN = "UNKNOWN"

    @classmethod
    def parse(cls, text: object) -> Stage | None:
        """None when the Hub sent no stage; UNKNOWN for a stage this version does not know."""
        return _parse(cls, text)

    @property
    def failed(self) -> bool:
        return self in FAILED

    @property
    def build_failed(self) -> bool:
        return self in BUILD_FAILED

    @property
    def starting(self) -> bool:
        """A build or an app start is under way: the Space has left the state it was in."""
        return self in STARTING


FAILED = frozenset({Stage.BUILD_ERROR, Stage.RUNTIME_ERROR, Stage.CONFIG_ERROR, Stage.NO_APP_FILE})
BUILD_FAILED = frozenset({Stage.BUILD_ERROR, Stage.CONFIG_ERROR})
STARTING = frozenset({Stage.BUILDING, Stage.APP_STARTING, Stage.RUNNING_BUILDING, Stage.RUNNING_APP_STARTING})


class HotReloadStatus(str, enum.Enum):
    CREATED = "created"
    CANCELED = "canceled"
    ALREADY_RELOADING = "alreadyReloading"
    FILE_NOT_FOUND = "fileNotFound"
    UNKNOWN = "unknown"

    @classmethod
    def parse(cls, text: object) -> HotReloadStatus | None:
        return _parse(cls, text)


_Vocabulary = TypeVar("_Vocabulary", Stage, HotReloadStatus)


def _parse(vocabulary: type[_Vocabulary], text: object) -> _Vocabulary | None:
    """The member spelled `text`, UNKNOWN for a word this version does not know, None for nothing."""
    if text is None:
        return None
    try:
        return vocabulary(str(text))
    except ValueError:
        return vocabulary.UNKNOWN
