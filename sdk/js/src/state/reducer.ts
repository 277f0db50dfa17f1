// architusReducer: the whole client state, mounted under `architus`; selectors over it.
import { combineReducers } from "@reduxjs/toolkit";
import type { EntityType, LogOther, PoolEntities } from "../wire.js";
import { connectionReducer } from "./connection.js";
import { guildStatusReducer } from "./guild_status.js";
import { logAdapter, logsReducer } from "./logs.js";
import { poolAdapter, poolScope, poolsReducer, type PoolState } from "./pools.js";
import { sessionReducer } from "./session.js";
import { spectateReducer } from "./spectate.js";

export const architusReducer = combineReducers({
  connection: connectionReducer,
  session: sessionReducer,
  spectate: spectateReducer,
  pools: poolsReducer,
  logs: logsReducer,
  guildStatus: guildStatusReducer,
});

export type ArchitusState = ReturnType<typeof architusReducer>;
/** The state of a store that mounts `architusReducer` under `architus`. */
export interface WithArchitus {
  architus: ArchitusState;
}

/** A pool as the store holds it, or undefined if it was never loaded. */
export function selectPool<T extends EntityType>(
  state: WithArchitus,
  type: T,
  guildId?: string | null,
): PoolState<T> | undefined {
  return state.architus.pools[type]?.[poolScope(type, guildId)] as PoolState<T> | undefined;
}

/** A pool's entities in the store's order (empty if never loaded). */
export function selectPoolEntities<T extends EntityType>(
  state: WithArchitus,
  type: T,
  guildId?: string | null,
): PoolEntities[T][] {
  const pool = selectPool(state, type, guildId);
  return pool === undefined ? [] : poolAdapter(type).getSelectors().selectAll(pool);
}

/** A guild's log entries, oldest first (in seq order). */
export function selectLog(state: WithArchitus, guildId: string): LogOther[] {
  const log = state.architus.logs[guildId];
  return log === undefined ? [] : logAdapter.getSelectors().selectAll(log);
}
