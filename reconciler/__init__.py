"""spaces-reconciler: GitOps for Hugging Face Spaces."""

__version__ = "0.1.0"
