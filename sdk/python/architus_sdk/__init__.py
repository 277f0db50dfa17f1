"""architus_sdk: the gateway's wire models and, in time, a redux-style client."""

from architus_sdk import wire

__all__ = ["wire"]
