"""The stand-in's id_token signing: an RS512 key and its JWKS, as auth.globus.org publishes
them (globus-sdk 4.10 ``services/auth/_id_token`` checks the signature, ``aud`` and ``exp``)."""

from __future__ import annotations

import base64
import secrets
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

OPENID_SCOPES = {"openid", "profile", "email"}
#: What each OpenID scope discloses, in userinfo and the id_token; ``openid`` alone: ``sub``.
CLAIMS_OF_SCOPE = {
    "openid": ("sub", "last_authentication"),
    "profile": (
        "preferred_username",
        "name",
        "organization",
        "identity_provider",
        "identity_provider_display_name",
    ),
    "email": ("email",),
}


class Signer:
    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = secrets.token_hex(8)

    def jwks(self) -> dict[str, Any]:
        numbers = self.key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "RSA",
                    "alg": "RS512",
                    "use": "sig",
                    "kid": self.kid,
                    "n": _b64int(numbers.n),
                    "e": _b64int(numbers.e),
                }
            ]
        }

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.key, algorithm="RS512", headers={"kid": self.kid})


def _b64int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
