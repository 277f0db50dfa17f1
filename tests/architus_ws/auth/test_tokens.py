"""Token verification per CONTRACT section 3."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest

from architus_sdk.wire import Permission
from architus_ws.auth.tokens import InvalidToken, TokenVerifier, mint_token
from architus_ws.config import Settings
from tests.conftest import SECRET, settings, token


def verifier(**overrides: Any) -> TokenVerifier:
    return TokenVerifier(settings(**overrides))


def unsigned(claims: dict[str, object], header: dict[str, object]) -> str:
    def part(value: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}."


def test_valid_token_gives_claims() -> None:
    claims = verifier().verify(token("42", {"7": 0x112}, ttl=60))
    assert claims.user_id == "42"
    assert claims.guilds == {"7": Permission(0x112)}
    assert claims.expires_at == pytest.approx(time.time() + 60, abs=2)


@pytest.mark.parametrize(
    ("bad_token", "why"),
    [
        (token(ttl=-10), "token expired"),
        (token(secret="another-secret-of-32-characters!"), "Signature verification failed"),
        ("not-a-jwt", "malformed"),
        ("", "malformed"),
        (
            unsigned({"sub": "1", "exp": time.time() + 3600}, {"alg": "none", "typ": "JWT"}),
            "invalid token",
        ),
        (jwt.encode({"sub": "1"}, SECRET, algorithm="HS256"), 'missing the "exp" claim'),
        (jwt.encode({"exp": time.time() + 3600}, SECRET, algorithm="HS256"), '"sub"'),
        (
            jwt.encode({"sub": "1", "exp": time.time() + 3600}, SECRET * 2, algorithm="HS512"),
            "alg value is not allowed",
        ),
        (token(kid="nobody"), "unknown key id"),
        (
            jwt.encode({"sub": "x1", "exp": time.time() + 3600}, SECRET, algorithm="HS256"),
            "invalid claim sub",
        ),
        (
            jwt.encode(
                {"sub": "1", "exp": time.time() + 3600, "guilds": {"7": -1}},
                SECRET,
                algorithm="HS256",
            ),
            "invalid claim guilds.7",
        ),
        (
            jwt.encode(
                {"sub": "1", "exp": time.time() + 3600, "nbf": time.time() + 3600},
                SECRET,
                algorithm="HS256",
            ),
            "not yet valid",
        ),
    ],
    ids=[
        "expired",
        "wrong-secret",
        "garbage",
        "empty",
        "alg-none",
        "no-exp",
        "no-sub",
        "hs512",
        "unknown-kid",
        "non-snowflake-sub",
        "negative-perms",
        "future-nbf",
    ],
)
def test_bad_tokens_are_refused(bad_token: str, why: str) -> None:
    with pytest.raises(InvalidToken, match=why):
        verifier().verify(bad_token)


def test_rotation_selects_the_secret_by_kid() -> None:
    config = Settings.from_env(
        {
            "ARCHITUS_JWT_SECRET": SECRET,
            "ARCHITUS_JWT_KEYS": '{"2026-11": "new-secret-0123456789abcdef-0123456789"}',
        }
    )
    tokens = TokenVerifier(config)
    assert tokens.verify(token("1")).user_id == "1"
    rotated = mint_token("new-secret-0123456789abcdef-0123456789", "2", {}, kid="2026-11")
    assert tokens.verify(rotated).user_id == "2"
    with pytest.raises(InvalidToken):
        tokens.verify(mint_token(SECRET, "3", {}, kid="2026-11"))


def test_issuer_and_audience_are_checked_when_configured() -> None:
    tokens = verifier(jwt_issuer="architus", jwt_audience="dashboard")
    good = token(issuer="architus", audience="dashboard")
    assert tokens.verify(good).user_id == "1001"
    with pytest.raises(InvalidToken, match=r"(?i)issuer"):
        tokens.verify(token(issuer="someone-else", audience="dashboard"))
    with pytest.raises(InvalidToken, match=r"(?i)audience"):
        tokens.verify(token(issuer="architus", audience="elsewhere"))
    with pytest.raises(InvalidToken):
        tokens.verify(token())


def test_leeway_accepts_a_just_expired_token() -> None:
    just_expired = token(ttl=-2)
    assert verifier(jwt_leeway=5).verify(just_expired).user_id == "1001"
    with pytest.raises(InvalidToken):
        verifier().verify(just_expired)


def test_asymmetric_algorithms_are_refused() -> None:
    """HS/RS confusion: only HS256 is ever accepted, whatever the header claims."""
    for alg in ("RS256", "ES256", "PS256", "EdDSA"):
        forged = unsigned({"sub": "1", "exp": time.time() + 3600}, {"alg": alg, "typ": "JWT"})
        with pytest.raises(InvalidToken, match="alg value is not allowed"):
            verifier().verify(forged + "c2lnbmF0dXJl")


def test_settings_refuse_to_start_without_a_secret() -> None:
    from architus_ws.config import ConfigError

    with pytest.raises(ConfigError, match="ARCHITUS_JWT_SECRET"):
        Settings.from_env({})


async def test_tokens_are_never_logged(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from tests.conftest import start_gateway

    caplog.set_level(logging.DEBUG)
    running = await start_gateway(settings())
    import socketio

    good, expired, forged = token(), token(ttl=-5), token(secret="f" * 40)
    sio = socketio.AsyncClient(reconnection=False)
    try:
        await sio.connect(running.url, auth={"token": good}, transports=["websocket"])
        for candidate in (good, expired, forged):
            await sio.call("request_elevation", {"token": candidate}, timeout=5)
        await sio.call("request_elevation", '{"token": "' + forged + '"', timeout=5)
    finally:
        await sio.disconnect()
        await running.stop()
    for candidate in (good, expired, forged):
        signature = candidate.rsplit(".", 1)[1]
        assert signature not in caplog.text


@pytest.mark.parametrize("exp", [1e300, 10**30, 253402300800, float("inf")])
def test_an_exp_past_the_year_9999_is_refused(exp: float) -> None:
    """Such an `exp` cannot be answered (an ISO 8601 date) nor timed: refused as a claim."""
    far = jwt.encode({"sub": "1", "exp": exp, "guilds": {"7": 2}}, SECRET, algorithm="HS256")
    with pytest.raises(InvalidToken, match="exp"):
        verifier().verify(far)
