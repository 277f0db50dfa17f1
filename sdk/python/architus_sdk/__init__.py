"""architus_sdk: the gateway's wire models and a redux-style client for bot tooling.

The names are loaded on first use (PEP 562): the gateway and the bridge import
`architus_sdk.wire` alone, and must not pay for the client's python-socketio at start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from architus_sdk import errors, slices, store, wire
    from architus_sdk.client import ArchitusClient

__all__ = ["ArchitusClient", "errors", "slices", "store", "wire"]


def __getattr__(name: str) -> Any:
    if name == "ArchitusClient":
        return importlib.import_module("architus_sdk.client").ArchitusClient
    if name in __all__:
        return importlib.import_module(f"architus_sdk.{name}")
    raise AttributeError(f"module 'architus_sdk' has no attribute {name!r}")
