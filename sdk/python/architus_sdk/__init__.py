"""architus_sdk: the gateway's wire models and a redux-style client for bot tooling."""

from architus_sdk import errors, slices, store, wire
from architus_sdk.client import ArchitusClient

__all__ = ["ArchitusClient", "errors", "slices", "store", "wire"]
