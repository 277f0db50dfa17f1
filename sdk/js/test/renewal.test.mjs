// Token renewal against a gateway whose notice comes 2 s before `exp`
// (ARCHITUS_RENEW_NOTICE_SECONDS=2): renewed before expiry with nothing lost; after an
// `elevation_expired` (the provider was down), elevated again and resumed with nothing lost; a
// connect refused for an expired token retried with a fresh one.
import assert from "node:assert/strict";
import { test } from "node:test";
import { configureStore } from "@reduxjs/toolkit";
import {
  ArchitusClient,
  UnauthenticatedError,
  architusMiddleware,
  architusReducer,
} from "../dist/index.js";
import {
  GUILD,
  URLS,
  assertLogComplete,
  caughtUp,
  control,
  eventually,
  mint,
  truth,
} from "./harness.mjs";

const expOf = (token) => JSON.parse(Buffer.from(token.split(".")[1], "base64url")).exp * 1000;

/** A client feeding an app store whose every action is kept, in order. */
function recorded(options) {
  const client = new ArchitusClient({
    url: URLS[0],
    transports: ["websocket"],
    logCapacity: 100_000,
    reconnectionDelay: 100,
    reconnectionDelayMax: 400,
    ...options,
  });
  const actions = [];
  const store = configureStore({
    reducer: { architus: architusReducer },
    middleware: (defaults) =>
      defaults({ serializableCheck: false, immutableCheck: false }).concat(
        architusMiddleware(client),
        () => (next) => (action) => {
          actions.push(action);
          return next(action);
        },
      ),
  });
  return { client, actions, store };
}

const named = (actions, type) => actions.filter((action) => action.type === type);

test("[renew-notice] renewed on the notice, before exp: no expiry, every entry once", async () => {
  const given = [];
  const { client, actions } = recorded({
    tokenProvider: async () => {
      const token = await mint(undefined, 3);
      given.push(expOf(token));
      return token;
    },
  });
  try {
    await client.connect();
    await client.spectate(GUILD, { includeLogs: true });
    await control("/publish", { events: 1000, rate: 100 });
    await eventually(() => given.length >= 4, "three renewals", 30_000);
    await control("/publish/wait");
    const expected = await truth();
    await caughtUp(client, expected);
    assertLogComplete(client.state, expected);
    assert.deepEqual(named(actions, "architus/pushes/elevation_expired"), []);
    assert.deepEqual(named(actions, "architus/session/demoted"), []);
    assert.ok(
      named(actions, "architus/pushes/token_expiring").length >= 1,
      "the gateway's notice came",
    );
    // each token elevated before it ran out
    const elevations = named(actions, "architus/session/elevated").map((a) =>
      Date.parse(a.payload.expires_at),
    );
    for (const exp of given.slice(0, 3)) assert.ok(elevations.includes(exp));
    assert.equal(client.state.spectate.guild_id, GUILD);
  } finally {
    client.close();
  }
});

test("[renew-expired] after elevation_expired: a fresh token, elevated again, resumed with nothing lost", async () => {
  let firstExp = null;
  let asked = 0;
  const { client, actions } = recorded({
    tokenProvider: async () => {
      asked += 1;
      if (firstExp === null) {
        const token = await mint(undefined, 3);
        firstExp = expOf(token);
        return token;
      }
      // the dashboard's REST API is down until the token has run out
      if (Date.now() < firstExp + 300) throw new Error("REST API down");
      return mint();
    },
  });
  try {
    await client.connect();
    await client.spectate(GUILD, { includeLogs: true });
    await control("/publish", { events: 800, rate: 100 });
    await eventually(
      () => named(actions, "architus/pushes/elevation_expired").length === 1,
      "elevation_expired",
      15_000,
    );
    await eventually(
      () => client.state.session.user_id === "1001" && client.state.spectate.guild_id === GUILD,
      "elevated and spectating again",
    );
    assert.ok(
      Date.parse(client.state.session.expires_at) > Date.now() + 600_000,
      "on the fresh token",
    );
    await control("/publish/wait");
    const expected = await truth();
    await caughtUp(client, expected);
    assertLogComplete(client.state, expected);
    assert.ok(asked >= 3, `the provider was asked again after its failures (${asked})`);
    const resumed = named(actions, "architus/spectate/started").at(-1).payload.ack;
    assert.equal(resumed.recovered, true);
  } finally {
    client.close();
  }
});

test("[refused-expired-connect] a connect refused for an expired token is retried with a fresh one", async () => {
  let asked = 0;
  const client = new ArchitusClient({
    url: URLS[0],
    transports: ["websocket"],
    token: await mint(undefined, -10),
    tokenProvider: () => {
      asked += 1;
      return mint();
    },
  });
  try {
    await client.connect();
    assert.equal(asked, 1);
    assert.equal(client.state.session.user_id, "1001");
    assert.equal(client.state.connection.status, "connected");
  } finally {
    client.close();
  }
});

test("[refused-connect] without a provider the refusal rejects connect()", async () => {
  const client = new ArchitusClient({
    url: URLS[0],
    transports: ["websocket"],
    token: await mint(undefined, -10),
  });
  await assert.rejects(client.connect(), (error) => {
    assert.ok(error instanceof UnauthenticatedError);
    assert.equal(error.code, 401);
    assert.equal(error.reason, "unauthenticated");
    assert.match(error.message, /expired/);
    return true;
  });
  assert.equal(client.state.connection.status, "disconnected");
  client.close();
});

test("[notice-in-store expired-without-provider] without a provider: the notice is kept, then the session and spectate end", async () => {
  const token = await mint(undefined, 3);
  const { client, actions } = recorded({ token });
  try {
    await client.connect();
    await client.spectate(GUILD, { includeLogs: true });
    await eventually(() => client.state.session.expiring, "the notice in the store", 10_000);
    const notice = client.state.session.expiring;
    assert.equal(Date.parse(notice.expires_at), expOf(token));
    assert.ok(notice.seconds_left > 0 && notice.seconds_left <= 2, String(notice.seconds_left));
    // nothing renews it: it runs out
    await eventually(() => client.state.session.user_id === null, "the session ended", 10_000);
    assert.ok(Date.now() >= expOf(token));
    assert.equal(client.state.session.expiring, null);
    assert.equal(client.state.spectate.guild_id, null);
    assert.equal(named(actions, "architus/pushes/token_expiring").length, 1);
    assert.equal(named(actions, "architus/pushes/elevation_expired").length, 1);
  } finally {
    client.close();
  }
});

test("[renew-timer] the provider is asked again 30 s before exp by the client's own timer", async () => {
  const asked = [];
  const { client, actions } = recorded({
    tokenProvider: () => {
      asked.push(Date.now());
      return mint(undefined, 32); // 30 s before exp: 1 to 2 s after each elevation
    },
  });
  try {
    await client.connect();
    await eventually(() => asked.length >= 4, "three renewals", 15_000);
    const gaps = asked.slice(1, 4).map((at, i) => at - asked[i]);
    assert.ok(
      gaps.every((gap) => gap >= 800 && gap < 5_000),
      `renewed on the timer, not in a loop: ${gaps}`,
    );
    assert.deepEqual(named(actions, "architus/pushes/token_expiring"), [], "before any notice");
    assert.ok(named(actions, "architus/session/elevated").length >= 3);
    assert.equal(client.state.session.user_id, "1001");
  } finally {
    client.close();
  }
});

test("[renew-once] the timer and the notice asking together renew once", async () => {
  // the timer asks half way (3 s), the gateway's notice comes at 4 s while the provider is
  // still answering the timer's renewal
  const given = [];
  const recording = recorded({
    tokenProvider: async () => {
      if (given.length > 0) {
        await eventually(
          () => named(recording.actions, "architus/pushes/token_expiring").length > 0,
          "the notice while the provider answers",
          10_000,
        );
      }
      const token = await mint(undefined, 6);
      given.push(expOf(token));
      return token;
    },
  });
  const { client, actions } = recording;
  try {
    await client.connect();
    await eventually(
      () => given.length === 2 && Date.parse(client.state.session.expires_at) === given[1],
      "elevated on the renewed token",
      15_000,
    );
    assert.equal(given.length, 2, "the connect's token and one renewal");
    assert.equal(named(actions, "architus/pushes/token_expiring").length, 1);
    assert.deepEqual(named(actions, "architus/pushes/elevation_expired"), []);
  } finally {
    client.close();
  }
});
