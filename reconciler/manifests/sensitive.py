"""Names that say "secret": the deploy workflow's own credentials, and secret-looking names.

The workflow that runs the reconciler holds a Hub write token, a GitHub token, its inputs
(INPUT_*) and an OIDC request token; a manifest that reads one of them into a Space secret
hands that credential to the Space's code (and to whoever merged the pull request that
added it), so such a `fromEnv` is an error unless the manifest says it means it.
Variables are public on the Hub, so a variable named like a credential is a warning.
"""

from __future__ import annotations

import re

# Exact names (compared case-insensitively: Windows environments are case-insensitive).
WORKFLOW_CREDENTIALS = frozenset(
    {
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HF_API_TOKEN",
        "GITHUB_TOKEN",
        "GH_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "RECONCILE_FINGERPRINT_KEY",
    }
)
WORKFLOW_PREFIXES = ("INPUT_", "ACTIONS_ID_TOKEN_REQUEST_", "ACTIONS_RUNTIME_")

_WORD = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIALS?|PRIVATE_?KEY|API_?KEY|ACCESS_?KEY)")
_SHORT = frozenset({"PWD", "PASS", "AUTH", "KEY"})


def workflow_credential(env: str) -> bool:
    upper = env.upper()
    return upper in WORKFLOW_CREDENTIALS or upper.startswith(WORKFLOW_PREFIXES)


def secret_looking(name: str) -> bool:
    """HF_TOKEN, OPENAI_API_KEY, DB_PASSWORD, CLIENT_SECRET... but not MAX_TOKENS or TOKENIZER."""
    upper = name.upper()
    parts = [p for p in re.split(r"[^A-Z0-9]+", upper) if p]
    if any(p in _SHORT and i == len(parts) - 1 and len(parts) > 1 for i, p in enumerate(parts)):
        return True  # DB_PASS, SERVICE_KEY; a lone KEY or PWD (the shell's) is too common to flag
    for match in _WORD.finditer(upper):
        end = match.end()
        # TOKENS, TOKENIZER: counts and models, not credentials.
        if match.group(1) == "TOKEN" and end < len(upper) and upper[end].isalpha():
            continue
        return True
    return False
