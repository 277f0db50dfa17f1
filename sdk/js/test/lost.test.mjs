// An outage longer than the history the bus keeps: the resume answers `recovered: false`, and
// the client resets the log and loads its pools again; the store ends equal to the truth.
import assert from "node:assert/strict";
import { test } from "node:test";
import { configureStore } from "@reduxjs/toolkit";
import { architusMiddleware, architusReducer } from "../dist/index.js";
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

test("[lost-history lost-history-log] not recovered: log reset, pools reloaded", async () => {
  const client = await truthClient({ reconnectionDelay: 100, reconnectionDelayMax: 500 });
  const acks = [];
  const loads = [];
  configureStore({
    reducer: { architus: architusReducer },
    middleware: (defaults) =>
      defaults({ serializableCheck: false, immutableCheck: false }).concat(
        architusMiddleware(client),
        () => (next) => (action) => {
          if (action.type === "architus/spectate/started") acks.push(action.payload.ack);
          if (action.type === "architus/pools/loaded") loads.push(action.payload.type);
          return next(action);
        },
      ),
  });
  try {
    await client.connect();
    await client.spectate(GUILD, { includeLogs: true });
    for (const type of MIRRORED) await client.loadPool(type, GUILD);
    await control("/publish", { events: 40, rate: 400 });
    await control("/publish/wait");
    await eventually(() => client.state.logs[GUILD]?.ids.length === 20, "the first entries");
    const before = client.state.spectate.logs_seq;

    await control("/nodes/0/kill");
    await control("/publish", { events: 400, rate: 1000 }); // 200 a stream: past the 50 kept
    await control("/publish/wait");
    await control("/nodes/0/start");
    await eventually(() => acks.length === 2, "resumed", 60_000);
    assert.equal(acks[1].recovered, false);
    await eventually(() => loads.length === 2 * MIRRORED.length, "every pool loaded again");
    await control("/publish", { events: 200, rate: 400 });
    await control("/publish/wait");
    const expected = await truth();
    await caughtUp(client, expected);
    assertPoolsEqual(client.state, expected);
    // the log holds what came after the resume, complete: nothing from before the gap
    assertLogComplete(client.state, expected);
    const first = client.state.logs[GUILD].entities[client.state.logs[GUILD].ids[0]].seq;
    assert.ok(
      first > before + 150,
      `log restarted after the gap (first ${first}, before ${before})`,
    );
  } finally {
    client.close();
  }
});
