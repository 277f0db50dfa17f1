// Typed errors: one class per error reason of the protocol, plus the client's own failures.
// Codes are not restated here: they come from the generated ERROR_CODES, so a reason and its
// code cannot disagree; the `satisfies` on ERROR_CLASSES fails to compile when a reason of the
// generated ErrorReason lacks its class.
import { ERROR_CODES, type ErrorBody, type ErrorReason } from "./wire.js";

/** A request the gateway refused (`code`, `reason` as the protocol's), or one that got no
 * answer (`reason` null, `code` 0: a timeout, no connection). */
export class ArchitusError extends Error {
  readonly code: number;
  readonly reason: ErrorReason | null;
  /** seconds to wait before asking again (429 `rate_limited`), else null */
  readonly retryAfter: number | null;
  /** the gateway's log reference of a 500 `internal`, else null */
  readonly correlationId: string | null;
  /** the error object as the gateway sent it */
  readonly body: Readonly<Partial<ErrorBody>>;

  constructor(message: string, body: Partial<ErrorBody> = {}) {
    super(message);
    this.name = new.target.name;
    this.body = body;
    // a reason's class is its reason, whatever the body says; the code follows the reason
    const fixed = (new.target as { reason?: ErrorReason }).reason;
    this.reason = fixed ?? body.reason ?? null;
    this.code =
      fixed !== undefined ? ERROR_CODES[fixed] : typeof body.code === "number" ? body.code : 0;
    this.retryAfter = typeof body.retry_after === "number" ? body.retry_after : null;
    this.correlationId = typeof body.correlation_id === "string" ? body.correlation_id : null;
  }
}

type ReasonError = (new (message: string, body?: Partial<ErrorBody>) => ArchitusError) & {
  readonly reason: ErrorReason;
};

export class BadRequestError extends ArchitusError {
  static readonly reason = "bad_request";
}
export class UnauthenticatedError extends ArchitusError {
  static readonly reason = "unauthenticated";
}
export class ForbiddenError extends ArchitusError {
  static readonly reason = "forbidden";
}
export class NotFoundError extends ArchitusError {
  static readonly reason = "not_found";
}
export class UnknownEventError extends ArchitusError {
  static readonly reason = "unknown_event";
}
export class PayloadTooLargeError extends ArchitusError {
  static readonly reason = "payload_too_large";
}
export class RateLimitedError extends ArchitusError {
  static readonly reason = "rate_limited";
}
export class UnavailableError extends ArchitusError {
  static readonly reason = "unavailable";
}
export class InternalError extends ArchitusError {
  static readonly reason = "internal";
}

/** The class of each error reason. */
export const ERROR_CLASSES = {
  bad_request: BadRequestError,
  unauthenticated: UnauthenticatedError,
  forbidden: ForbiddenError,
  not_found: NotFoundError,
  unknown_event: UnknownEventError,
  payload_too_large: PayloadTooLargeError,
  rate_limited: RateLimitedError,
  unavailable: UnavailableError,
  internal: InternalError,
} as const satisfies { readonly [R in ErrorReason]: ReasonError };

/** No answer within the client's timeout (the connection may be down). */
export class RequestTimeoutError extends ArchitusError {}

/** The client is not connected (or was closed). */
export class NotConnectedError extends ArchitusError {}

/** The error of a refused ack or connect (`{code, reason, message, ...}`); a reason this SDK
 * does not know yet gives a plain `ArchitusError` with the code it came with. */
export function errorFromBody(body: unknown): ArchitusError {
  const error = (typeof body === "object" && body !== null ? body : {}) as Partial<ErrorBody>;
  const message = typeof error.message === "string" ? error.message : "refused";
  const known = typeof error.reason === "string" && Object.hasOwn(ERROR_CLASSES, error.reason);
  return known
    ? new ERROR_CLASSES[error.reason as ErrorReason](message, error)
    : new ArchitusError(message, error);
}
