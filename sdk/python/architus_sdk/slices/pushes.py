"""Pushes from the gateway, as actions (reducers of several slices react to them)."""

from __future__ import annotations

from architus_sdk.store import create_action

log_pool = create_action("pushes/log_pool")  # payload: the LogPool dict
log_other = create_action("pushes/log_other")  # payload: the LogOther dict
elevation_expired = create_action("pushes/elevation_expired")
spectate_reset = create_action("pushes/spectate_reset")  # payload: SpectateReset
guild_status = create_action("pushes/guild_status")  # payload: GuildStatus
