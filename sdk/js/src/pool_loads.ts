// Pool requests in flight, and the `log_pool` pushes of their pool that arrive meanwhile: a page
// reflects its pool stream up to its `pool_seq`, so only the pushes after it are applied over it.
import type { EntityType, LogPool } from "./wire.js";
import { poolScope } from "./state/pools.js";

const key = (type: EntityType, scope: string) => `${type}\u0000${scope}`;

export class PoolLoads {
  readonly #buffers = new Map<string, Set<LogPool[]>>();

  /** Start keeping the pushes of a pool; `stop` with the buffer when its load ends. */
  start(type: EntityType, guildId: string | null): LogPool[] {
    const id = key(type, poolScope(type, guildId));
    const buffers = this.#buffers.get(id) ?? new Set();
    const buffer: LogPool[] = [];
    buffers.add(buffer);
    this.#buffers.set(id, buffers);
    return buffer;
  }

  stop(type: EntityType, guildId: string | null, buffer: LogPool[]): void {
    const id = key(type, poolScope(type, guildId));
    const buffers = this.#buffers.get(id);
    buffers?.delete(buffer);
    if (buffers?.size === 0) this.#buffers.delete(id);
  }

  /** A push arrived: every load of its pool keeps it. */
  offer(push: LogPool): void {
    for (const buffer of this.#buffers.get(key(push.type, poolScope(push.type, push.guild_id))) ??
      []) {
      buffer.push(push);
    }
  }
}

/** The pushes a load must apply over its pages: those after the oldest page's position (all
 * of them for the types whose answers carry no position). */
export function after(buffer: LogPool[], poolSeq: number | null, epoch: string | null): LogPool[] {
  if (poolSeq === null) return buffer;
  return buffer.filter((push) => push.epoch !== epoch || push.seq > poolSeq);
}
