// @architus/sdk: the architus gateway's client for browsers and Node 18+.
export { ArchitusClient } from "./client.js";
export type { ArchitusClientOptions, TokenProvider } from "./client.js";
export type { PoolQuery } from "./requests.js";
export {
  ArchitusError,
  BadRequestError,
  ERROR_CLASSES,
  ForbiddenError,
  InternalError,
  NotConnectedError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  RequestTimeoutError,
  UnauthenticatedError,
  UnavailableError,
  UnknownEventError,
  errorFromBody,
} from "./errors.js";
export { architusMiddleware, createArchitusStore } from "./store.js";
export type { ArchitusStore } from "./store.js";
export { architusReducer, selectLog, selectPool, selectPoolEntities } from "./state/reducer.js";
export type { ArchitusState, WithArchitus } from "./state/reducer.js";
export { UNSCOPED, poolAdapter } from "./state/pools.js";
export type { PoolState, PoolsState } from "./state/pools.js";
export { logAdapter } from "./state/logs.js";
export type { LogState, LogsState } from "./state/logs.js";
export type { ConnectionState, ConnectionStatus } from "./state/connection.js";
export type { SessionState } from "./state/session.js";
export type { SpectateState } from "./state/spectate.js";
export type { GuildStatusState } from "./state/guild_status.js";
export { architusActions } from "./state/actions.js";
export {
  elevationExpiredPushed,
  guildLeft,
  guildStatusPushed,
  logOtherPushed,
  logPoolPushed,
  spectateResetPushed,
  tokenExpiringPushed,
} from "./state/pushes.js";
export * from "./wire.js";
