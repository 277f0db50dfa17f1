// pools: one Redux Toolkit entity state per (type, guild); `log_pool` pushes merge into the
// pools this client loaded. Settings are keyed by `key`, every other type by `id`; the
// guild-agnostic types (`user`, `guild`) live under the guild id UNSCOPED.
import {
  createEntityAdapter,
  createSlice,
  type EntityAdapter,
  type EntityState,
  type PayloadAction,
  type UnknownAction,
} from "@reduxjs/toolkit";
import { GUILD_SCOPED, type EntityType, type LogPool, type PoolEntities } from "../wire.js";
import { copyEntities } from "./copy.js";
import { guildLeft, logPoolPushed, spectateResetPushed } from "./pushes.js";

/** The guild id under which the pools of `user` and `guild` (not of one guild) are kept. */
export const UNSCOPED = "*";

export type PoolState<T extends EntityType = EntityType> = EntityState<PoolEntities[T], string>;
export type PoolsState = { [T in EntityType]?: Record<string, PoolState<T>> };

type AnyEntity = PoolEntities[EntityType];
type AnyPool = EntityState<AnyEntity, string>;

const byId = createEntityAdapter<AnyEntity, string>({ selectId: (entity) => String(entity.id) });
const byKey = createEntityAdapter<AnyEntity, string>({ selectId: (entity) => String(entity.key) });

/** The entity adapter of a pool type: its `getSelectors()` read a pool of the state. */
export function poolAdapter<T extends EntityType>(type: T): EntityAdapter<PoolEntities[T], string> {
  return (type === "setting" ? byKey : byId) as unknown as EntityAdapter<PoolEntities[T], string>;
}

/** Where a pool of `type` for `guildId` is kept: `user` and `guild` are not per guild. */
export function poolScope(type: EntityType, guildId: string | null | undefined): string {
  return GUILD_SCOPED.includes(type) ? String(guildId) : UNSCOPED;
}

export interface PoolLoaded {
  type: EntityType;
  guildId: string | null;
  entities: AnyEntity[];
  /** true: the entities are the whole pool; false: merged into what is there */
  replace: boolean;
  /** pushes of this pool that arrived while it loaded and that the pages do not reflect */
  pending: LogPool[];
}

// Adapter operators mutate a draft in place but return a new object for a plain one (a pool
// created in this reducer call): the result is always the pool to keep.
function apply(pool: AnyPool, push: LogPool): AnyPool {
  const adapter = poolAdapter(push.type) as unknown as EntityAdapter<AnyEntity, string>;
  return push.op === "upsert"
    ? adapter.upsertMany(pool, push.data as AnyEntity[])
    : adapter.removeMany(pool, push.data);
}

const slice = createSlice({
  name: "architus/pools",
  initialState: {} as PoolsState,
  reducers: {
    loaded(state, action: PayloadAction<PoolLoaded>) {
      const { type, guildId, entities, replace, pending } = action.payload;
      const adapter = poolAdapter(type) as unknown as EntityAdapter<AnyEntity, string>;
      const pools = (state[type] ??= {}) as Record<string, AnyPool>;
      const scope = poolScope(type, guildId);
      let pool = pools[scope] ?? adapter.getInitialState();
      pool = replace ? adapter.setAll(pool, entities) : adapter.upsertMany(pool, entities);
      for (const push of pending) pool = apply(pool, push);
      pools[scope] = pool;
    },
    /** Forget every pool of a guild (or, with null, every pool). */
    cleared(state, action: PayloadAction<string | null>) {
      if (action.payload === null) return {};
      for (const pools of Object.values(state)) delete pools[action.payload];
      return state;
    },
  },
  extraReducers: (builder) => {
    builder
      .addCase(spectateResetPushed, (state, action) => {
        // the token lost the guild (or its logs): nothing of it may stay on screen
        for (const pools of Object.values(state)) delete pools[action.payload.guild_id];
      })
      .addCase(guildLeft, (state, action) => {
        for (const pools of Object.values(state)) delete pools[action.payload];
      });
  },
});

/** A push merged into a pool without immer: a push is the hot path (hundreds a second into
 * pools of thousands), and immer's copy-and-freeze of an entity map costs a few times the
 * plain copy of it. Entities are merged field by field (upsert), as the adapter does. */
function merged(pool: AnyPool, push: LogPool): AnyPool {
  const keyOf =
    push.type === "setting" ? (e: AnyEntity) => String(e.key) : (e: AnyEntity) => String(e.id);
  if (push.op === "upsert") {
    const entities = copyEntities(pool.ids, pool.entities);
    let ids: string[] | null = null; // copied only when an entity is new
    for (const entity of push.data as AnyEntity[]) {
      const id = keyOf(entity);
      const current = entities[id];
      if (current === undefined) (ids ??= [...pool.ids]).push(id);
      entities[id] = current === undefined ? entity : { ...current, ...entity };
    }
    return { ids: ids ?? pool.ids, entities };
  }
  const gone = new Set(push.data.filter((id) => id in pool.entities));
  if (gone.size === 0) return pool;
  const ids = pool.ids.filter((id) => !gone.has(id));
  return { ids, entities: copyEntities(ids, pool.entities) };
}

export const poolsActions = slice.actions;

export function poolsReducer(state: PoolsState | undefined, action: UnknownAction): PoolsState {
  if (state !== undefined && logPoolPushed.match(action)) {
    const push = action.payload;
    const scope = poolScope(push.type, push.guild_id);
    const pools = state[push.type] as Record<string, AnyPool> | undefined;
    const pool = pools?.[scope];
    // only pools this client holds: a partial pool made of pushes alone would mislead
    if (pool === undefined) return state;
    return { ...state, [push.type]: { ...pools, [scope]: merged(pool, push) } };
  }
  return slice.reducer(state, action);
}
