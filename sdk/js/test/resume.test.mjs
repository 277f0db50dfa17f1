// A gateway SIGKILLed and restarted while events flow: the client comes back on its own and
// resumes from the store's seqs; the store ends equal to the truth, every log entry once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { architusMiddleware, architusReducer } from "../dist/index.js";
import { configureStore } from "@reduxjs/toolkit";
import {
  GUILD,
  MIRRORED,
  URLS,
  assertLogComplete,
  assertPoolsEqual,
  caughtUp,
  control,
  eventually,
  truth,
  truthClient,
} from "./harness.mjs";

test("[resume] resumes through a SIGKILL and restart of its gateway (an app's own store)", async () => {
  const client = await truthClient({ reconnectionDelay: 100, reconnectionDelayMax: 500 });
  const statuses = [];
  const spectates = [];
  // the app owns the store: the client feeds it through the middleware
  const store = configureStore({
    reducer: { architus: architusReducer, app: (state = { renders: 0 }) => state },
    middleware: (defaults) =>
      defaults({ serializableCheck: false, immutableCheck: false }).concat(
        architusMiddleware(client),
        () => (next) => (action) => {
          if (action.type === "architus/connection/changed") statuses.push(action.payload.status);
          if (action.type === "architus/spectate/started") spectates.push(action.payload.ack);
          return next(action);
        },
      ),
  });
  assert.throws(() => client.store, /app's store/);
  try {
    await client.connect();
    await client.spectate(GUILD, { includeLogs: true });
    for (const type of MIRRORED) await client.loadPool(type, GUILD);
    await control("/publish", { events: 1200, rate: 300 });
    await eventually(() => store.getState().architus.spectate.logs_seq > 20, "entries flowing");
    await control("/nodes/0/kill");
    await eventually(
      () => store.getState().architus.connection.status === "reconnecting",
      "the drop seen",
    );
    await control("/nodes/0/start");
    const listening = Date.now();
    await eventually(() => spectates.length === 2, "spectate resumed", 60_000);
    const resumed = Date.now() - listening;
    assert.equal(spectates[1].recovered, true, "the history reached back: nothing re-fetched");
    await control("/publish/wait");
    const expected = await truth();
    await caughtUp(client, expected);
    const state = store.getState();
    assert.equal(state.architus.connection.status, "connected");
    assert.deepEqual(state.app, { renders: 0 });
    assertPoolsEqual(state.architus, expected);
    assertLogComplete(state.architus, expected);
    assert.ok(state.architus.logs[GUILD].ids.length > 100);
    assert.ok(statuses.includes("reconnecting"));
    console.log(
      `store current again ${resumed} ms after the restarted node listened (reconnectionDelayMax 500 ms)`,
    );
  } finally {
    client.close();
  }
});
