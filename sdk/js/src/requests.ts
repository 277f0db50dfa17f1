// Requests as promises: a client event, its ack, the ack's error as an ArchitusError.
import { ArchitusError, NotConnectedError, RequestTimeoutError, errorFromBody } from "./errors.js";
import type { GatewaySocket } from "./link.js";
import type { Ack, ClientToServerEvents, EntityType, PoolRequest } from "./wire.js";

export type Events = keyof ClientToServerEvents;
export type RequestOf<E extends Events> = Parameters<ClientToServerEvents[E]>[0];
export type AnswerOf<E extends Events> =
  Parameters<Parameters<ClientToServerEvents[E]>[1]>[0] extends Ack<infer T> ? T : never;

/** A pool request's mode: exactly one of `ids`, `all`, `search`. */
export interface PoolQuery {
  ids?: string[];
  all?: boolean;
  search?: string;
  limit?: number;
  after?: string;
}

export function poolRequest(
  type: EntityType,
  guildId: string | null | undefined,
  query: PoolQuery,
): PoolRequest {
  const request: PoolRequest = { type };
  if (guildId !== null && guildId !== undefined) request.guild_id = guildId;
  if (query.ids !== undefined) request.ids = query.ids;
  if (query.all) request.all = true;
  if (query.search !== undefined) request.search = query.search;
  if (query.limit !== undefined) request.limit = query.limit;
  if (query.after !== undefined) request.after = query.after;
  return request;
}

/** Send `event` and resolve to its ack's `data`; reject with the ack's error, or when there
 * is no connection or no answer within `timeout` ms. */
export async function request<E extends Events>(
  socket: GatewaySocket | null,
  event: E,
  payload: RequestOf<E>,
  timeout: number,
): Promise<AnswerOf<E>> {
  // not queued for a later connect (socket.io-client would): the resume sends what is needed
  if (socket === null) throw new NotConnectedError(`${event}: not connected`);
  let answer: Ack<AnswerOf<E>>;
  try {
    // the event maps type each event's ack; a call generic over the event cannot name them
    const timed = socket.timeout(timeout) as unknown as {
      emitWithAck(event: E, payload: RequestOf<E>): Promise<Ack<AnswerOf<E>>>;
    };
    answer = await timed.emitWithAck(event, payload);
  } catch {
    if (!socket.connected) throw new NotConnectedError(`${event}: the connection dropped`);
    throw new RequestTimeoutError(`${event}: no answer in ${timeout} ms`);
  }
  if (typeof answer !== "object" || answer === null || !("ok" in answer)) {
    throw new ArchitusError(`${event}: malformed answer`);
  }
  if (!answer.ok) throw errorFromBody(answer.error);
  return answer.data;
}
