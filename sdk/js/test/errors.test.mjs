// Every error reason of the protocol reaches the caller as its ArchitusError subclass, with the
// gateway's code, reason and message; those a real gateway can be made to give are made so.
import assert from "node:assert/strict";
import { test } from "node:test";
import { io } from "socket.io-client";
import {
  ArchitusClient,
  ArchitusError,
  BadRequestError,
  ERROR_CLASSES,
  ERROR_CODES,
  ErrorReasons,
  ForbiddenError,
  InternalError,
  NotConnectedError,
  NotFoundError,
  PayloadTooLargeError,
  RateLimitedError,
  UnauthenticatedError,
  UnavailableError,
  UnknownEventError,
  errorFromBody,
} from "../dist/index.js";
import { EVERYTHING, GUILD, URLS, control, mint } from "./harness.mjs";

const UNMIRRORED = "740000000000000002";
const ELSEWHERE = "740000000000000003";

/** `promise` rejects with `Class`, and the error carries the protocol's code and reason. */
async function refused(promise, Class, reason) {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof Class, `${error.name}: ${error.message}`);
    assert.ok(error instanceof ArchitusError);
    assert.equal(error.reason, reason);
    assert.equal(error.code, ERROR_CODES[reason]);
    assert.ok(error.message.length > 0);
    return true;
  });
}

test("[error-mapping] each reason has its class, with the code of the wire", () => {
  assert.deepEqual(Object.keys(ERROR_CLASSES).sort(), Object.values(ErrorReasons).sort());
  for (const reason of Object.values(ErrorReasons)) {
    const error = errorFromBody({
      code: ERROR_CODES[reason],
      reason,
      message: "m",
      retry_after: 1.5,
      correlation_id: "c",
    });
    assert.ok(error instanceof ERROR_CLASSES[reason]);
    assert.equal(error.code, ERROR_CODES[reason]);
    assert.equal(error.retryAfter, 1.5);
  }
  const internal = errorFromBody({
    code: 500,
    reason: "internal",
    message: "bug",
    correlation_id: "abc",
  });
  assert.ok(internal instanceof InternalError);
  assert.equal(internal.correlationId, "abc");
  const unknown = errorFromBody({ code: 418, reason: "teapot", message: "newer gateway" });
  assert.equal(unknown.constructor, ArchitusError);
  assert.equal(unknown.code, 418);
});

test("[error-mapping not-connected] a real gateway's refusals, each as its class", async () => {
  const anonymous = new ArchitusClient({ url: URLS[0], transports: ["websocket"] });
  await assert.rejects(anonymous.spectate(GUILD), NotConnectedError);
  const client = new ArchitusClient({
    url: URLS[0],
    transports: ["websocket"],
    token: await mint({ [GUILD]: EVERYTHING, [UNMIRRORED]: EVERYTHING }),
  });
  try {
    await anonymous.connect(); // no token: connected, not elevated
    await refused(anonymous.spectate(GUILD), UnauthenticatedError, "unauthenticated");
    await client.connect();
    await refused(client.spectate(ELSEWHERE), ForbiddenError, "forbidden");
    await refused(
      client.pool("member", GUILD, { ids: ["1"], all: true }),
      BadRequestError,
      "bad_request",
    );
    await refused(client.pool("member", UNMIRRORED, { all: true }), NotFoundError, "not_found");
    await refused(
      client.interpret({
        action: "send",
        guild_id: "1",
        message_id: "2",
        content: "x".repeat(70_000),
      }),
      PayloadTooLargeError,
      "payload_too_large",
    );
    // the official client itself, for the one event the SDK cannot send: an unknown one
    const raw = io(URLS[0], { transports: ["websocket"], forceNew: true });
    try {
      const answer = await raw.timeout(5000).emitWithAck("no_such_event", {});
      assert.equal(answer.ok, false);
      assert.ok(errorFromBody(answer.error) instanceof UnknownEventError);
    } finally {
      raw.close();
    }
    // `interpret` allows 20 per 10 s per connection
    const answers = await Promise.allSettled(
      Array.from({ length: 25 }, (_, i) =>
        anonymous.interpret({
          action: "send",
          guild_id: "1",
          message_id: String(2 * i + 2),
          content: "!help",
        }),
      ),
    );
    const limited = answers.filter((a) => a.status === "rejected").map((a) => a.reason);
    assert.ok(limited.length >= 5, `rate limited: ${limited.length}`);
    for (const error of limited) {
      assert.ok(error instanceof RateLimitedError, String(error));
      assert.equal(error.code, 429);
      assert.ok(error.retryAfter > 0);
    }
    // the bus gone: the gateway cannot answer
    await control("/redis/kill");
    await refused(client.pool("member", GUILD, { all: true }), UnavailableError, "unavailable");
  } finally {
    client.close();
    anonymous.close();
  }
});
