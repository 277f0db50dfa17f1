"""Token verification (PyJWT, HS256 only) and minting for development and tests."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated, Any

import jwt
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from architus_sdk.wire import Permission, Snowflake
from architus_ws.config import Settings

ALGORITHM = "HS256"


class InvalidToken(Exception):
    """Missing, malformed, badly signed, expired, or for another issuer/audience."""


# 9999-12-31T23:59:59Z and a second: every `exp` the answer (ISO 8601) and the expiry timer
# can carry is before it.
_LAST_EXP = 253402300800


class _ClaimsPayload(BaseModel):
    model_config = ConfigDict(extra="allow")

    sub: Snowflake
    exp: Annotated[float, Field(gt=0, lt=_LAST_EXP, allow_inf_nan=False)]
    guilds: dict[Snowflake, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Claims:
    user_id: str
    guilds: dict[str, Permission]
    expires_at: float  # unix seconds

    def permissions(self, guild_id: str) -> Permission | None:
        return self.guilds.get(guild_id)


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self._secrets = dict(settings.jwt_secrets)
        self._issuer = settings.jwt_issuer
        self._audience = settings.jwt_audience
        self.leeway = settings.jwt_leeway

    def verify(self, token: str) -> Claims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as error:
            raise InvalidToken(f"malformed token: {error}") from None
        kid = header.get("kid", "")
        if not isinstance(kid, str) or kid not in self._secrets:
            raise InvalidToken("unknown key id" if kid else "tokens must name a key id (kid)")
        try:
            payload = jwt.decode(
                token,
                self._secrets[kid],
                algorithms=[ALGORITHM],
                options={"require": ["exp", "sub"]},
                issuer=self._issuer,
                audience=self._audience,
                leeway=self.leeway,
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token expired") from None
        except jwt.InvalidTokenError as error:
            raise InvalidToken(f"invalid token: {error}") from None
        try:
            claims = _ClaimsPayload.model_validate(payload)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise InvalidToken(f"invalid claim {where}: {first['msg']}") from None
        guilds = {guild: Permission(perms & _ALL_BITS) for guild, perms in claims.guilds.items()}
        return Claims(user_id=claims.sub, guilds=guilds, expires_at=claims.exp)


_ALL_BITS = sum(Permission)


def mint_token(
    secret: str,
    user_id: str,
    guilds: dict[str, int],
    ttl: float = 3600,
    kid: str | None = None,
    issuer: str | None = None,
    audience: str | None = None,
) -> str:
    now = int(time.time())
    claims: dict[str, Any] = {"sub": user_id, "iat": now, "exp": now + ttl, "guilds": guilds}
    if issuer:
        claims["iss"] = issuer
    if audience:
        claims["aud"] = audience
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims, secret, algorithm=ALGORITHM, headers=headers)
