// logs: the spectated guilds' `log_other` entries as pushed, keyed by `id`, ids in seq order,
// the newest `capacity` kept.
import {
  createEntityAdapter,
  createSlice,
  type EntityState,
  type PayloadAction,
  type UnknownAction,
} from "@reduxjs/toolkit";
import type { LogOther } from "../wire.js";
import { copyEntities } from "./copy.js";
import { guildLeft, logOtherPushed, spectateResetPushed } from "./pushes.js";

export type LogState = EntityState<LogOther, string>;
export type LogsState = Record<string, LogState>;

export const logAdapter = createEntityAdapter<LogOther, string>({ selectId: (entry) => entry.id });

const slice = createSlice({
  name: "architus/logs",
  initialState: {} as LogsState,
  reducers: {
    /** After a resume that did not recover: keep only what follows the ack's position (live
     * pushes that came before the ack itself). */
    reset(state, action: PayloadAction<{ guildId: string; epoch: string | null; after: number }>) {
      const { guildId, epoch, after } = action.payload;
      const log = state[guildId];
      if (log === undefined) return;
      const stale = log.ids.filter((id) => {
        const entry = log.entities[id];
        return entry === undefined || entry.epoch !== epoch || entry.seq <= after;
      });
      logAdapter.removeMany(log, stale);
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(spectateResetPushed, (state, action) => {
        delete state[action.payload.guild_id];
      })
      .addCase(guildLeft, (state, action) => {
        delete state[action.payload];
      });
  },
});

/** An entry appended without immer (pushes are the hot path: see pools.ts), the oldest
 * dropped past `capacity`. */
function appended(log: LogState, entry: LogOther, capacity: number): LogState {
  if (entry.id in log.entities) return log; // a replay overlapping what was seen: once only
  const lastId = log.ids[log.ids.length - 1];
  const last = lastId !== undefined ? log.entities[lastId] : undefined;
  if (last !== undefined && last.epoch !== entry.epoch) {
    return { ids: [entry.id], entities: { [entry.id]: entry } }; // a new history: seqs restart
  }
  const over = log.ids.length + 1 - capacity;
  const ids = [...(over > 0 ? log.ids.slice(over) : log.ids), entry.id];
  const entities = copyEntities(ids.slice(0, -1), log.entities);
  entities[entry.id] = entry;
  if (last !== undefined && entry.seq < last.seq)
    ids.sort((a, b) => entities[a]!.seq - entities[b]!.seq);
  return { ids, entities };
}

export const logsActions = slice.actions;

export function logsReducer(state: LogsState | undefined, action: UnknownAction): LogsState {
  if (state !== undefined && logOtherPushed.match(action)) {
    const entry = action.payload;
    const log = state[entry.guild_id] ?? logAdapter.getInitialState();
    const next = appended(log, entry, action.meta.capacity);
    return next === log ? state : { ...state, [entry.guild_id]: next };
  }
  return slice.reducer(state, action);
}
