"""The local Hub: an HTTP server speaking the Space-management subset of the Hugging Face Hub API.

Standalone: nothing here imports the rest of `reconciler`.
"""

from reconciler.localhub.hub import LocalHub

__all__ = ["LocalHub"]
