// The link to the gateway: a socket.io-client socket to one node at a time, what to do when a
// connect fails or is refused, and moving to the next node. The client above it says what a
// connect means (elevate, resume) and what the pushes do.
import { io, type Socket } from "socket.io-client";
import { ArchitusError, NotConnectedError, UnauthenticatedError, errorFromBody } from "./errors.js";
import { connectionActions } from "./state/connection.js";
import type { ClientToServerEvents, ServerToClientEvents } from "./wire.js";

export type GatewaySocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export interface LinkOptions {
  urls: string[];
  timeout: number;
  transports: ("polling" | "websocket")[] | undefined;
  /** ms before the first retry, and the longest wait between two */
  delay: [number, number];
}

export interface LinkHooks {
  /** the token the connect `auth` carries, read at every attempt */
  token(): string | null;
  /** replace the token with a fresh one from the provider; false without a provider */
  refreshToken(): Promise<boolean>;
  /** after each connect (elevate, resume); a gateway refusal there fails `connect()` */
  connected(): Promise<void>;
  /** the push handlers of a new socket; `current()` is false once the link left it */
  listen(socket: GatewaySocket, current: () => boolean): void;
  dispatch: (
    action: ReturnType<(typeof connectionActions)[keyof typeof connectionActions]>,
  ) => void;
}

export class Link {
  readonly #options: LinkOptions;
  readonly #hooks: LinkHooks;
  #node = 0; // index in urls of the node in use
  #socket: GatewaySocket | null = null;
  #waiting: { resolve: () => void; reject: (error: Error) => void } | null = null;
  #refusals = 0; // refused connects in a row, for the backoff
  #retry: ReturnType<typeof setTimeout> | undefined;
  #closed = false;

  constructor(options: LinkOptions, hooks: LinkHooks) {
    this.#options = options;
    this.#hooks = hooks;
  }

  get url(): string {
    return this.#options.urls[this.#node]!;
  }

  /** The socket in use, if connected. */
  get socket(): GatewaySocket | null {
    return this.#socket?.connected ? this.#socket : null;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Resolves once connected and `connected()` ran; rejects on a refusal or after the timeout. */
  async connect(): Promise<void> {
    if (this.#closed) throw new NotConnectedError("the client was closed");
    if (this.#socket?.connected) return;
    const ready = new Promise<void>((resolve, reject) => {
      this.#waiting = { resolve, reject };
    });
    const { timeout } = this.#options;
    const timer = setTimeout(
      () => this.#settle(new NotConnectedError(`cannot connect to ${this.url} in ${timeout} ms`)),
      timeout,
    );
    this.#open();
    try {
      await ready;
    } catch (error) {
      this.#shut();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    this.#closed = true;
    this.#shut();
    this.#settle(new NotConnectedError("the client was closed"));
  }

  /** Leave this node for the next one (with one URL, a load balancer: the same URL again). */
  moveOn(): void {
    this.#node = (this.#node + 1) % this.#options.urls.length;
    this.#open();
  }

  get several(): boolean {
    return this.#options.urls.length > 1;
  }

  #shut(): void {
    clearTimeout(this.#retry);
    const socket = this.#socket;
    this.#socket = null;
    socket?.removeAllListeners();
    socket?.disconnect();
    this.#hooks.dispatch(connectionActions.changed({ status: "disconnected" }));
  }

  #settle(error?: Error): void {
    const waiting = this.#waiting;
    this.#waiting = null;
    if (error === undefined) waiting?.resolve();
    else waiting?.reject(error);
  }

  /** A socket to the node in use (a new one per node: socket.io-client binds a Manager to one
   * URL); handlers ignore the sockets the link left. */
  #open(): void {
    const previous = this.#socket;
    previous?.removeAllListeners();
    previous?.disconnect();
    const { delay, timeout, transports } = this.#options;
    const url = this.url;
    const socket: GatewaySocket = io(url, {
      forceNew: true,
      autoConnect: false,
      reconnectionDelay: delay[0],
      reconnectionDelayMax: delay[1],
      timeout,
      ...(transports ? { transports } : {}),
      // read at every attempt: a renewal or a refused connect may have replaced the token
      auth: (send) => {
        const token = this.#hooks.token();
        send(token !== null ? { token } : {});
      },
    });
    this.#socket = socket;
    const status = previous === null && this.#waiting !== null ? "connecting" : "reconnecting";
    this.#hooks.dispatch(connectionActions.changed({ status, url }));
    const current = () => this.#socket === socket;
    socket.on("connect", () => current() && void this.#onConnect(socket));
    socket.on("disconnect", (reason) => current() && this.#onDisconnect(socket, reason));
    socket.on("connect_error", (error) => current() && void this.#onRefused(socket, error));
    this.#hooks.listen(socket, current);
    socket.connect();
  }

  async #onConnect(socket: GatewaySocket): Promise<void> {
    this.#refusals = 0;
    const transport = socket.io.engine.transport.name;
    this.#hooks.dispatch(
      connectionActions.changed({ status: "connected", url: this.url, transport }),
    );
    try {
      await this.#hooks.connected();
      this.#settle();
    } catch (error) {
      // the socket dropped meanwhile (its next connect resumes), or the gateway refused
      this.#hooks.dispatch(connectionActions.failed(String(error)));
      if (error instanceof ArchitusError && error.reason !== null) this.#settle(error);
    }
  }

  #onDisconnect(socket: GatewaySocket, reason: Socket.DisconnectReason): void {
    this.#hooks.dispatch(connectionActions.changed({ status: "reconnecting" }));
    // the server ended the session itself: socket.io-client does not come back by itself then
    if (reason === "io server disconnect") this.#later(() => socket.connect());
  }

  /** A connect that failed. Without `data` it is the transport's (a node down, or draining and
   * refusing at the Engine.IO handshake): socket.io-client retries by itself, and with several
   * nodes the link tries the next. With `data` the gateway refused the CONNECT (`{code, reason,
   * message}`): socket.io-client gives up (`socket.active` is false) and the link decides. */
  async #onRefused(socket: GatewaySocket, error: Error & { data?: unknown }): Promise<void> {
    this.#hooks.dispatch(connectionActions.failed(error.message));
    const data = error.data;
    if (typeof data !== "object" || data === null || !("reason" in data)) {
      if (this.several) this.#later(() => this.moveOn());
      return;
    }
    const refusal = errorFromBody(data);
    this.#refusals += 1;
    const initial = this.#waiting !== null;
    // the token expired while away: a fresh one, at once the first time; connect() gives up
    // after two fresh tokens refused, a reconnect keeps trying
    if (refusal instanceof UnauthenticatedError && (!initial || this.#refusals <= 2)) {
      let refreshed = false;
      try {
        refreshed = await this.#hooks.refreshToken();
      } catch (failure) {
        this.#hooks.dispatch(connectionActions.failed(`tokenProvider: ${String(failure)}`));
        refreshed = true; // the provider may answer on the next attempt
      }
      if (refreshed) {
        this.#later(() => socket.connect(), this.#refusals <= 1 ? 0 : undefined);
        return;
      }
      if (!initial) {
        this.#shut(); // no provider: that token will never be taken again (lastError says so)
        return;
      }
    }
    const elsewhere = refusal.reason === "unavailable" && this.several;
    if (initial && !elsewhere) {
      this.#settle(refusal); // connect() rejects with the gateway's reason
      return;
    }
    const wait = refusal.retryAfter !== null ? refusal.retryAfter * 1000 : undefined;
    this.#later(() => (elsewhere ? this.moveOn() : socket.connect()), wait);
  }

  /** Run `step` after the backoff (or `ms`), unless the link was closed meanwhile. */
  #later(step: () => void, ms?: number): void {
    const [first, longest] = this.#options.delay;
    const backoff = Math.min(first * 2 ** Math.max(0, this.#refusals - 1), longest);
    clearTimeout(this.#retry);
    this.#retry = setTimeout(() => this.#closed || step(), ms ?? backoff * (0.5 + Math.random()));
  }
}
