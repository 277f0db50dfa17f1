"""The Engine.IO v4 packet codec (sans-IO).

An outbound packet is kept encoded, as the websocket sends it: a `str` is a text packet with
its type digit first (`"4hello"`, `"2"`), `bytes` a binary message. Long-polling joins them
with the record separator and carries binary as `b<base64>`.
"""

from __future__ import annotations

import base64
import binascii

OPEN = "0"
CLOSE = "1"
PING = "2"
PONG = "3"
MESSAGE = "4"
UPGRADE = "5"
NOOP = "6"

_TYPES = frozenset("0123456")
SEPARATOR = "\x1e"

Encoded = str | bytes


class PacketError(ValueError):
    """Not an Engine.IO v4 packet or payload."""


def decode_text(frame: str) -> tuple[str, str]:
    """A text packet as (type, data)."""
    kind = frame[:1]
    if kind not in _TYPES:
        raise PacketError(f"unknown packet type {kind!r}")
    return kind, frame[1:]


def decode_payload(body: str) -> list[tuple[str, str | bytes]]:
    """A long-polling body: packets joined by the separator, binary as `b<base64>`."""
    packets: list[tuple[str, str | bytes]] = []
    for part in body.split(SEPARATOR):
        if part[:1] == "b":
            try:
                packets.append((MESSAGE, base64.b64decode(part[1:], validate=True)))
            except (binascii.Error, ValueError) as error:
                raise PacketError("bad base64 in a binary packet") from error
        else:
            packets.append(decode_text(part))
    return packets


def encode_payload(packets: list[Encoded]) -> str:
    return SEPARATOR.join(
        packet if isinstance(packet, str) else "b" + base64.b64encode(packet).decode("ascii")
        for packet in packets
    )


def message(data: str | bytes) -> Encoded:
    """A message packet as it goes out: text gets its type digit, binary goes as is."""
    return MESSAGE + data if isinstance(data, str) else data


def weight(packet: Encoded) -> int:
    """What a queued packet costs, for the slow-consumer limit (characters count as bytes:
    a rough bound is enough to cut a runaway queue)."""
    return len(packet)
