"""Manifests: YAML files -> validated, immutable desired state (DesiredSpace) + diagnostics."""

from __future__ import annotations

from reconciler.manifests.card import render_readme
from reconciler.manifests.load import LoadResult, find_repo_root, load_manifests
from reconciler.manifests.secrets import resolve_secret

__all__ = ["LoadResult", "find_repo_root", "load_manifests", "render_readme", "resolve_secret"]
