// ArchitusClient: socket.io-client underneath, requests as promises, pushes as actions into a
// Redux Toolkit store, which it keeps true across reconnects, drains and token renewals.
//
// On every (re)connect the token rides in the connect `auth` (fresh from `tokenProvider` when
// one is given) and the spectate resumes from the seqs the store holds, so nothing is lost or
// repeated; when the gateway cannot replay (`recovered: false`) the log is reset and the pools
// this client holds are loaded again.
import { ArchitusError, ForbiddenError, UnauthenticatedError } from "./errors.js";
import { Link, type GatewaySocket, type LinkOptions } from "./link.js";
import { after, PoolLoads } from "./pool_loads.js";
import { Renewal } from "./renewal.js";
import {
  poolRequest,
  request,
  type AnswerOf,
  type Events,
  type PoolQuery,
  type RequestOf,
} from "./requests.js";
import { connectionActions } from "./state/connection.js";
import { logsActions } from "./state/logs.js";
import { poolsActions, poolScope, UNSCOPED, type PoolState } from "./state/pools.js";
import {
  elevationExpiredPushed,
  guildLeft,
  guildStatusPushed,
  logOtherPushed,
  logPoolPushed,
  spectateResetPushed,
  tokenExpiringPushed,
} from "./state/pushes.js";
import type { ArchitusState } from "./state/reducer.js";
import { sameInstant, sessionActions } from "./state/session.js";
import { spectateActions } from "./state/spectate.js";
import { BIND, createArchitusStore, type ArchitusStore, type StoreBinding } from "./store.js";
import type {
  ElevationData,
  EntityType,
  InterpretData,
  InterpretRequest,
  LogPool,
  PoolData,
  PoolEntities,
  SpectateData,
} from "./wire.js";

/** Gives a fresh token (the dashboard asks its REST API). */
export type TokenProvider = () => Promise<string> | string;

export interface ArchitusClientOptions {
  url: string;
  token?: string;
  tokenProvider?: TokenProvider;
  /** More gateway nodes, when no load balancer stands in front of them: a node's `reconnect`
   * notice (or a node that cannot be reached) moves the client to the next one. */
  otherUrls?: string[];
  /** ms to wait for an answer, and for `connect()` (default 10,000) */
  timeout?: number;
  /** socket.io-client's transports (default: its own, long-polling upgraded to websocket) */
  transports?: ("polling" | "websocket")[];
  /** ms before the first reconnect attempt, and the longest wait between two (500, 5,000) */
  reconnectionDelay?: number;
  reconnectionDelayMax?: number;
  /** newest log entries kept per guild (default 1,000) */
  logCapacity?: number;
}

export class ArchitusClient {
  #token: string | null;
  readonly #provider: TokenProvider | null;
  readonly #timeout: number;
  readonly #logCapacity: number;
  readonly #link: Link;
  #store: ArchitusStore | null = null;
  #binding: StoreBinding | null = null;
  readonly #loads = new PoolLoads();
  readonly #renewal = new Renewal(() => this.#renew());

  constructor(options: ArchitusClientOptions) {
    this.#token = options.token ?? null;
    this.#provider = options.tokenProvider ?? null;
    this.#timeout = options.timeout ?? 10_000;
    this.#logCapacity = options.logCapacity ?? 1_000;
    const link: LinkOptions = {
      urls: [options.url, ...(options.otherUrls ?? [])],
      timeout: this.#timeout,
      transports: options.transports,
      delay: [options.reconnectionDelay ?? 500, options.reconnectionDelayMax ?? 5_000],
    };
    this.#link = new Link(link, {
      token: () => this.#token,
      refreshToken: async () => {
        if (this.#provider === null) return false;
        this.#token = await this.#provider();
        return true;
      },
      connected: () => this.#resume(),
      listen: (socket, current) => this.#listen(socket, current),
      dispatch: (action) => this.#dispatch(action),
    });
  }

  // ---- the store ----------------------------------------------------------------------------

  /** The client's own Redux Toolkit store (`getState().architus`). A client bound to an app's
   * store by `architusMiddleware` has none: read that store. */
  get store(): ArchitusStore {
    if (this.#binding !== null && this.#store === null) {
      throw new ArchitusError(
        "this client feeds the app's store (architusMiddleware): read that one",
      );
    }
    this.#store ??= createArchitusStore();
    this.#binding ??= { dispatch: this.#store.dispatch, getState: this.#store.getState };
    return this.#store;
  }

  /** The state under `architus` of the store this client keeps. */
  get state(): ArchitusState {
    return this.#bound().getState().architus;
  }

  /** The gateway node in use (or being connected to). */
  get nodeUrl(): string {
    return this.#link.url;
  }

  [BIND](binding: StoreBinding): void {
    if (this.#binding !== null) throw new ArchitusError("this client already keeps a store");
    this.#binding = binding;
  }

  #bound(): StoreBinding {
    if (this.#binding === null) void this.store;
    return this.#binding!;
  }

  #dispatch(action: Parameters<StoreBinding["dispatch"]>[0]): void {
    this.#bound().dispatch(action);
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Resolves once connected and elevated (with the token or the provider's). */
  async connect(): Promise<void> {
    this.#bound();
    if (this.#token === null && this.#provider !== null) this.#token = await this.#provider();
    await this.#link.connect();
  }

  close(): void {
    this.#renewal.cancel();
    this.#link.close();
  }

  /** The pushes of a new socket, as actions. */
  #listen(socket: GatewaySocket, current: () => boolean): void {
    socket.on("log_pool", (push) => current() && this.#onLogPool(push));
    socket.on(
      "log_other",
      (entry) =>
        current() && this.#dispatch(logOtherPushed(entry, { capacity: this.#logCapacity })),
    );
    socket.on("guild_status", (status) => current() && this.#dispatch(guildStatusPushed(status)));
    socket.on("spectate_reset", (reset) => current() && this.#dispatch(spectateResetPushed(reset)));
    socket.on("token_expiring", (notice) => {
      if (!current()) return;
      this.#dispatch(tokenExpiringPushed(notice));
      if (
        this.#provider !== null &&
        sameInstant(notice.expires_at, this.state.session.expires_at)
      ) {
        this.#renewal.noticed();
      }
    });
    socket.on("elevation_expired", () => current() && void this.#onExpired());
    socket.on("reconnect", (notice) => {
      if (!current()) return;
      this.#dispatch(connectionActions.draining(notice.within_ms));
      // Several nodes and no load balancer: leave for the next one now rather than wait to be
      // closed within the window. With one URL (a load balancer), socket.io-client reconnects
      // by itself when the node closes the socket, and the load balancer picks a ready node.
      if (this.#link.several) this.#link.moveOn();
    });
  }

  /** After each connect: elevated by the connect's `auth`, the session is read again; then the
   * spectate resumes where the store stands. */
  async #resume(): Promise<void> {
    if (this.#token !== null) await this.elevate();
    const at = this.state.spectate;
    if (at.guild_id === null) return;
    const resume =
      at.epoch !== null ? { epoch: at.epoch, pool_seq: at.pool_seq, logs_seq: at.logs_seq } : null;
    let ack: SpectateData;
    try {
      ack = await this.#request("spectate", {
        guild_id: at.guild_id,
        include_logs: at.include_logs,
        resume,
      });
    } catch (error) {
      if (error instanceof ForbiddenError) {
        // the token in use no longer allows it (renewed narrower while away): as spectate_reset
        this.#dispatch(guildLeft(at.guild_id));
        this.#dispatch(spectateActions.stopped());
      }
      throw error;
    }
    this.#dispatch(spectateActions.started({ ack, includeLogs: at.include_logs }));
    if (!ack.recovered) {
      this.#dispatch(
        logsActions.reset({
          guildId: at.guild_id,
          epoch: ack.epoch ?? null,
          after: ack.logs_seq ?? 0,
        }),
      );
      await this.#reloadPools();
    }
  }

  async #reloadPools(): Promise<void> {
    for (const [type, pools] of Object.entries(this.state.pools) as [EntityType, object][]) {
      for (const scope of Object.keys(pools)) {
        await this.loadPool(type, scope === UNSCOPED ? null : scope);
      }
    }
  }

  #onLogPool(push: LogPool): void {
    const { guild_id, epoch } = this.state.spectate;
    this.#loads.offer(push);
    this.#dispatch(logPoolPushed(push));
    if (push.guild_id === guild_id && epoch !== null && push.epoch !== epoch) {
      // the gateway's history was lost (a Redis restarted empty): what was missed is gone too
      void this.#reloadPools().catch((error) =>
        this.#dispatch(connectionActions.failed(String(error))),
      );
    }
  }

  // ---- elevation and renewal ----------------------------------------------------------------

  /** Elevate (again) with `token`, the token in use, or a fresh one from the provider. */
  async elevate(token?: string): Promise<ElevationData> {
    if (token !== undefined) this.#token = token;
    if (this.#token === null && this.#provider !== null) this.#token = await this.#provider();
    if (this.#token === null) throw new UnauthenticatedError("no token to elevate with");
    const data = await this.#request("request_elevation", { token: this.#token });
    this.#dispatch(sessionActions.elevated(data));
    if (this.#provider !== null) this.#renewal.elevated(data.expires_at);
    return data;
  }

  /** Back to anonymous: the gateway drops the elevation and the spectate. */
  async demote(): Promise<void> {
    await this.#request("demote", {});
    this.#token = null;
    this.#renewal.cancel();
    this.#dispatch(sessionActions.demoted());
    this.#dispatch(spectateActions.stopped());
  }

  async #renew(): Promise<void> {
    try {
      this.#token = await this.#provider!();
      await this.elevate();
    } catch (error) {
      // not connected (the reconnect carries the new token), or the provider failed: the
      // gateway's notices and `elevation_expired` still come
      this.#dispatch(connectionActions.failed(`renewal: ${String(error)}`));
    }
  }

  /** The token ran out (timers asleep, or the provider failed): with a provider, a fresh token
   * and the spectate resumed where the store stands; without, the session ends. */
  async #onExpired(): Promise<void> {
    this.#dispatch(elevationExpiredPushed());
    this.#dispatch(sessionActions.demoted());
    this.#renewal.cancel();
    if (this.#provider === null) {
      this.#dispatch(spectateActions.stopped());
      return;
    }
    try {
      this.#token = await this.#provider();
      await this.#resume();
    } catch (error) {
      this.#dispatch(connectionActions.failed(`after expiry: ${String(error)}`));
      setTimeout(() => this.#link.closed || void this.#onExpiredAgain(), 500);
    }
  }

  async #onExpiredAgain(): Promise<void> {
    if (this.#link.socket !== null && this.state.session.user_id === null) await this.#onExpired();
  }

  // ---- requests -----------------------------------------------------------------------------

  async spectate(
    guildId: string | null,
    options: { includeLogs?: boolean } = {},
  ): Promise<SpectateData> {
    const includeLogs = options.includeLogs ?? false;
    const previous = this.state.spectate.guild_id;
    const ack = await this.#request("spectate", { guild_id: guildId, include_logs: includeLogs });
    if (previous !== null && previous !== guildId) this.#dispatch(guildLeft(previous));
    this.#dispatch(spectateActions.started({ ack, includeLogs }));
    return ack;
  }

  /** One pool request (exactly one of `ids`, `all`, `search`); its entities are merged into the
   * store's pool, with the pushes that arrived meanwhile applied over them. */
  async pool<T extends EntityType>(
    type: T,
    guildId: string | null | undefined,
    query: PoolQuery,
  ): Promise<PoolData<T>> {
    const buffer = this.#loads.start(type, guildId ?? null);
    try {
      const page = await this.#page(type, guildId, query);
      this.#loaded(
        type,
        guildId ?? null,
        page.data,
        false,
        after(buffer, page.pool_seq ?? null, this.state.spectate.epoch),
      );
      return page;
    } finally {
      this.#loads.stop(type, guildId ?? null, buffer);
    }
  }

  /** Every page of a pool into the store, replacing what it held; resolves to the pool. */
  async loadPool<T extends EntityType>(
    type: T,
    guildId?: string | null,
    options: { limit?: number } = {},
  ): Promise<PoolState<T>> {
    const scope = guildId ?? null;
    const buffer = this.#loads.start(type, scope);
    try {
      const entities: PoolEntities[T][] = [];
      let cursor: string | undefined;
      let oldest: number | null = null; // the first page's position: later pages stand later
      for (;;) {
        const page = await this.#page(type, guildId, {
          all: true,
          limit: options.limit,
          after: cursor,
        });
        oldest ??= page.pool_seq ?? null;
        entities.push(...page.data);
        if (page.finished || page.next === null) break;
        cursor = page.next;
      }
      this.#loaded(type, scope, entities, true, after(buffer, oldest, this.state.spectate.epoch));
    } finally {
      this.#loads.stop(type, scope, buffer);
    }
    return this.state.pools[type]![poolScope(type, scope)] as PoolState<T>;
  }

  /** Entities matching `query` (members by name or nick, ...), best first. */
  async search<T extends EntityType>(
    type: T,
    guildId: string | null | undefined,
    query: string,
    options: { limit?: number } = {},
  ): Promise<PoolEntities[T][]> {
    return (await this.pool(type, guildId, { search: query, limit: options.limit })).data;
  }

  /** The front-page mock Discord: what the bot answers to a message or reaction. */
  async interpret(request: InterpretRequest): Promise<InterpretData> {
    return this.#request("interpret", request);
  }

  async #page<T extends EntityType>(
    type: T,
    guildId: string | null | undefined,
    query: PoolQuery,
  ): Promise<PoolData<T>> {
    return (await this.#request("pool", poolRequest(type, guildId, query))) as PoolData<T>;
  }

  #loaded(
    type: EntityType,
    guildId: string | null,
    entities: PoolEntities[EntityType][],
    replace: boolean,
    pending: LogPool[],
  ): void {
    this.#dispatch(poolsActions.loaded({ type, guildId, entities, replace, pending }));
  }

  #request<E extends Events>(event: E, payload: RequestOf<E>): Promise<AnswerOf<E>> {
    return request(this.#link.socket, event, payload, this.#timeout);
  }
}
