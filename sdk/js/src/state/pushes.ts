// The gateway's pushes as actions: several slices react to the same push (a `log_pool` moves
// the spectate position and merges into a pool), so they are defined once, here.
import { createAction } from "@reduxjs/toolkit";
import type { GuildStatus, LogOther, LogPool, SpectateReset, TokenExpiring } from "../wire.js";

export interface LogOtherMeta {
  /** the newest entries kept per guild */
  capacity: number;
}

export const logPoolPushed = createAction<LogPool>("architus/pushes/log_pool");
export const logOtherPushed = createAction(
  "architus/pushes/log_other",
  (entry: LogOther, meta: LogOtherMeta) => ({ payload: entry, meta }),
);
export const guildStatusPushed = createAction<GuildStatus>("architus/pushes/guild_status");
export const spectateResetPushed = createAction<SpectateReset>("architus/pushes/spectate_reset");
export const tokenExpiringPushed = createAction<TokenExpiring>("architus/pushes/token_expiring");
export const elevationExpiredPushed = createAction("architus/pushes/elevation_expired");

/** Not a push: the client spectates another guild, and what it held of the one it left would
 * go stale (no push of it arrives any more), so it is forgotten as on a `spectate_reset`. */
export const guildLeft = createAction<string>("architus/spectate/left");
