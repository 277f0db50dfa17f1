"""The process's logging: one configuration for uvicorn, python-socketio and the gateway, with
what must never be printed taken out of every record.

Tokens are bearer credentials, and so are Engine.IO session ids: a long-polling sid read from
a log let a second client take over the session. uvicorn's access log (off) and its websocket
lines (`"WebSocket /socket.io/?...&sid=..." [accepted]`, logged whatever the access log
setting) carry them in query strings; python-engineio names sids in its error messages; the
websockets library logs every frame at DEBUG. The `Redaction` filter sits on the one handler
everything goes through, so a library's new message is covered by its shape, not its name.
"""

from __future__ import annotations

import importlib.util
import logging
import re
from pathlib import Path
from typing import Any

# No "trace": uvicorn's trace level logs every ASGI scope, query string included.
LEVELS = ("critical", "error", "warning", "info", "debug")

# a path's query string or fragment: "/socket.io/?EIO=4&sid=..." -> "/socket.io/"
_QUERY = re.compile(r"(/[^\s\"'?#]*)[?#][^\s\"']*")
# python-engineio's "Invalid session X", "Unexpected HTTP request for session X", "Cannot
# send to sid X" (an id has a capital, a digit, _ or -; an English word after "session" not)
_NAMED_SID = re.compile(r"\b(session|sid)(\s+)(?=[a-z]*[A-Z0-9_-])[\w-]{6,}")
# the gateway's own convention, "<sid>: what happened" (sids are 20 url-safe characters)
_LEADING_SID = re.compile(r"^[\w-]{20}(?=: )")
# an Engine.IO open packet, `0{"sid":"...",...}`
_SID_FIELD = re.compile(r"([\"']sid[\"']\s*:\s*[\"'])[^\"']*")
# a JWT, or the start of one cut short by a truncated message
_JWT = re.compile(r"eyJ[\w-]*(\.[\w-]+){0,2}")


def _located(package: str) -> str:
    """A package's directory, found without importing it (`architus-ws token` stays light)."""
    spec = importlib.util.find_spec(package)
    origin = spec.origin if spec is not None else None
    return str(Path(origin).parent) if origin else "\0"  # "\0" starts no path


# The websockets library logs the wire at DEBUG (to uvicorn's logger, which uvicorn hands it):
# handshake headers (cookies) and every frame (tokens, sids, guild data). Never printed.
_WIRE = _located("websockets")


def redact(text: str) -> str:
    text = _JWT.sub("<token>", text)
    text = _QUERY.sub(r"\1", text)
    text = _NAMED_SID.sub(r"\1\2<sid>", text)
    text = _LEADING_SID.sub("<sid>", text)
    return _SID_FIELD.sub(r"\1<sid>", text)


class Redaction(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG and record.pathname.startswith(_WIRE):
            return False
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # an exception's message may quote a request; format it here to redact it
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def config(level: str) -> dict[str, Any]:
    """A `logging.config.dictConfig` for the CLI and for uvicorn (`log_config`), which applies
    it again in each worker of `--workers`."""
    level = level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"redaction": {"()": f"{__name__}.Redaction"}},
        "formatters": {"plain": {"format": "%(levelname)s %(name)s: %(message)s"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "plain",
                "filters": ["redaction"],
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            # through the root's handler, and so through the redaction
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level},
            # off: it prints query strings (architus_ws.observability.access_log replaces it)
            "uvicorn.access": {"handlers": [], "propagate": False},
            # frames carry tokens and sids; never logged, at any level (uvicorn passes its own
            # logger to the websockets library: `Redaction` drops those records by origin)
            "websockets": {"level": "INFO"},
            # what python-socketio sets when it finds these unset (errors only); set here so
            # that it adds no handler of its own, outside the redaction
            "engineio.server": {"level": "ERROR"},
            "socketio.server": {"level": "ERROR"},
        },
    }
