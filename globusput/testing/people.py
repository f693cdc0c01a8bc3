"""The stand-in's person: who they are, the codes their logins wait on, what their login
session shows, and whether that meets a collection's session policy
(``Collection.session_policy``).

A collection that requires an identity from a domain, given identities, policies or MFA is
answered by a login that asks for them with ``prompt=login`` (globus-sdk's user guide,
"handling transfer auth params"); without ``prompt=login`` Globus Auth reuses the browser's
session, which shows nothing new. A confidential client cannot meet one at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from globus_sdk.scopes import Scope

from globusput.testing.model import Collection, Token


@dataclass
class PendingCode:
    client_id: str
    redirect_uri: str
    scopes: list[Scope]
    challenge: str
    offline: bool
    session: frozenset[str] = frozenset()


@dataclass
class User:
    identity_id: str
    username: str
    name: str = "Stand-in User"
    email: str = "alice@example.org"
    organization: str = "Stand-in University"
    consents: list[dict[str, Any]] = field(default_factory=list)


def session_satisfied(token: Token, collection: Collection) -> bool:
    """Whether ``token``'s login session meets the collection's session policy: a person's
    fresh login that asked for it (prompt=login and the policy's parameters, as globus-sdk
    documents the recovery); a reused browser session or a client's token never does."""
    policy = collection.session_policy or {}
    shown = token.session if token.user else frozenset()
    checks = [
        ("session_required_single_domain", "domain:", any),
        ("session_required_identities", "identity:", any),
        ("session_required_policies", "policy:", all),
    ]
    for key, kind, how in checks:
        wanted = policy.get(key) or []
        if wanted and not how(f"{kind}{w}" in shown for w in wanted):
            return False
    return not policy.get("session_required_mfa") or "mfa" in shown


def session_shown(query: dict[str, str]) -> frozenset[str]:
    """What a login with ``prompt=login`` shows of the session the person just made: the
    identities, domain, policies and MFA it asked for (the stand-in's person has them all)."""
    shown = {"mfa"} if query.get("session_required_mfa", "").lower() == "true" else set()
    for key, kind in (
        ("session_required_single_domain", "domain:"),
        ("session_required_identities", "identity:"),
        ("session_required_policies", "policy:"),
    ):
        shown |= {kind + value for value in query.get(key, "").split(",") if value}
    return frozenset(shown)
