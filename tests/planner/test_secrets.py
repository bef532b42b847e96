"""Secret comparison by keyed fingerprint: every state, never a value (pure, no Hub)."""

from __future__ import annotations

from reconciler import secrets
from reconciler.diff import SecretProbe, SecretState, compare_secrets
from reconciler.model import SENSITIVE, ObservedSecret
from tests.builders import desired, observed_like

KEY = b"test-key"
WRITTEN_AT = 1_800_000_000


def recorded(value: str, updated_at: str = "2027-01-15T08:00:00Z") -> ObservedSecret:
    fp = secrets.fingerprint(KEY, "acme/demo", "TOKEN", value)
    return ObservedSecret(description=secrets.describe(fp, WRITTEN_AT), updated_at=updated_at)


def state_of(live: ObservedSecret | None, probe: SecretProbe, has_key: bool = True) -> SecretState:
    want = desired(secrets={"TOKEN": "TOKEN_ENV"})
    have = observed_like(want, secrets={"TOKEN": live} if live else {})
    (result,) = compare_secrets(want, have, {"TOKEN": probe}, has_key)
    return result.state


def probe(value: str) -> SecretProbe:
    return SecretProbe(available=True, fingerprint=secrets.fingerprint(KEY, "acme/demo", "TOKEN", value))


def test_fingerprint_is_keyed_and_scoped_to_space_and_name() -> None:
    base = secrets.fingerprint(KEY, "acme/demo", "TOKEN", "v")
    assert base != secrets.fingerprint(b"other", "acme/demo", "TOKEN", "v")
    assert base != secrets.fingerprint(KEY, "acme/other", "TOKEN", "v")
    assert base != secrets.fingerprint(KEY, "acme/demo", "OTHER", "v")
    assert "v" not in secrets.describe(base, WRITTEN_AT).split("fp=")[0]
    assert secrets.parse(secrets.describe(base, WRITTEN_AT)) == secrets.Recorded(base, WRITTEN_AT)


def test_same_value_is_unchanged_and_new_value_is_changed() -> None:
    assert state_of(recorded("v1"), probe("v1")) is SecretState.UNCHANGED
    assert state_of(recorded("v1"), probe("v2")) is SecretState.CHANGED


def test_missing_on_hub_is_added_and_extra_on_hub_is_removed() -> None:
    assert state_of(None, probe("v1")) is SecretState.ADDED
    want = desired()
    have = observed_like(want, secrets={"OLD": recorded("x")})
    (result,) = compare_secrets(want, have, {}, True)
    assert result.state is SecretState.REMOVED
    assert result.as_change().before == SENSITIVE and result.as_change().after is None


def test_secret_not_written_by_us_is_changed_outside_git() -> None:
    live = ObservedSecret(description="set by hand", updated_at="2027-01-01T00:00:00Z")
    assert state_of(live, probe("v1")) is SecretState.CHANGED_OUTSIDE


def test_rewrite_after_our_write_is_changed_outside_git() -> None:
    later = "2027-12-31T00:00:00Z"  # long after WRITTEN_AT (2027-01-15)
    assert state_of(recorded("v1", updated_at=later), probe("v1")) is SecretState.CHANGED_OUTSIDE


def test_unavailable_value_is_unknown_and_never_a_change() -> None:
    want = desired(secrets={"TOKEN": "TOKEN_ENV"})
    have = observed_like(want, secrets={"TOKEN": recorded("v1")})
    (result,) = compare_secrets(want, have, {"TOKEN": SecretProbe(available=False)}, True)
    assert result.state is SecretState.UNKNOWN and not result.is_change


def test_without_key_value_changes_are_unknown() -> None:
    assert state_of(recorded("v1"), SecretProbe(available=True), has_key=False) is SecretState.UNKNOWN


def test_a_secret_without_readable_description_is_unknown_never_changed() -> None:
    # hub-contract §13: the Hub may return neither description nor updatedAt on read.
    from reconciler.diff import SecretProbe as Probe
    from reconciler.diff import compare_secrets
    from reconciler.model import ObservedSecret, SecretState, SecretUnknown
    from tests.builders import desired, observed_like

    want = desired(secrets={"TOKEN": "TOKEN_ENV"})
    have = observed_like(want, secrets={"TOKEN": ObservedSecret()})
    [found] = compare_secrets(want, have, {"TOKEN": Probe(available=True, fingerprint="f" * 32)}, has_key=True)
    assert (found.state, found.unknown) == (SecretState.UNKNOWN, SecretUnknown.DESCRIPTION_UNREADABLE)
    assert not found.is_change
    asked = Probe(available=True, fingerprint="f" * 32, rewrite_unreadable=True)
    [rewritten] = compare_secrets(want, have, {"TOKEN": asked}, has_key=True)
    assert rewritten.state is SecretState.CHANGED  # --rewrite-unreadable-secrets
