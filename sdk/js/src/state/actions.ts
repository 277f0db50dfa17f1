// The slices' own action creators, for apps that hydrate or test a store without a gateway
// (the client dispatches these itself; the pushes' creators are exported beside them).
import { connectionActions } from "./connection.js";
import { logsActions } from "./logs.js";
import { poolsActions } from "./pools.js";
import { sessionActions } from "./session.js";
import { spectateActions } from "./spectate.js";

export const architusActions = {
  connection: connectionActions,
  session: sessionActions,
  spectate: spectateActions,
  pools: poolsActions,
  logs: logsActions,
} as const;
