"""Users' and organizations' plans and billing, as whoami shows them and the Hub's rules read them.

whoami-v2's shape (huggingface.js hub/src/lib/who-am-i.ts, `WhoAmIUser` / `WhoAmIOrg`): a
user has `fullname`, `isPro`, `canPay`, a deprecated `plan`; each org has `fullname`, `canPay`,
`plan`. What the rules need from them:
- dev mode: PRO users, Team and Enterprise organizations (Hub docs, "Spaces Dev Mode");
- paid hardware: the namespace's owner can pay (`canPay`), else 402 (hub-contract §13).

The default user `local` is PRO with a payment method and its org `local-org` is on Team with
one, so fixtures may use every setting; any other user or org starts as a new Hub account does:
free, no payment method. `POST /_localhub/accounts/<name>` changes that.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from reconciler.localhub.errors import bad_request
from reconciler.localhub.state import write_atomic

PLANS = ("free", "pro", "team", "enterprise")
DEV_MODE_PLANS = frozenset({"pro", "team", "enterprise"})
_DEFAULTS = {
    "local": {"plan": "pro", "canPay": True, "fullname": "Local User"},
    "local-org": {"plan": "team", "canPay": True, "fullname": "Local Org"},
}


class Accounts:
    def __init__(self, root: Path) -> None:
        self._file = root / "accounts.json"
        self._data: dict[str, dict[str, Any]] = (
            json.loads(self._file.read_text(encoding="utf-8")) if self._file.exists() else {}
        )

    def get(self, name: str) -> dict[str, Any]:
        found = self._data.get(name.lower()) or _DEFAULTS.get(name.lower()) or {}
        return {
            "plan": found.get("plan", "free"),
            "canPay": bool(found.get("canPay")),
            "fullname": found.get("fullname") or name,
        }

    def update(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        current = self.get(name)
        plan, can_pay, fullname = (
            body.get("plan", current["plan"]),
            body.get("canPay", current["canPay"]),
            body.get("fullname", current["fullname"]),
        )
        if plan not in PLANS:
            raise bad_request(f'"plan" must be one of {", ".join(PLANS)}')
        if not isinstance(can_pay, bool):
            raise bad_request('"canPay" must be true or false')
        if not isinstance(fullname, str) or not fullname:
            raise bad_request('"fullname" must be a non-empty string')
        self._data[name.lower()] = {"plan": plan, "canPay": can_pay, "fullname": fullname}
        write_atomic(self._file, json.dumps(self._data, indent=1))
        return self.get(name)

    def dev_mode_allowed(self, namespace: str) -> bool:
        return self.get(namespace)["plan"] in DEV_MODE_PLANS

    def can_pay(self, namespace: str) -> bool:
        return bool(self.get(namespace)["canPay"])
