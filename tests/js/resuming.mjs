// N socket.io-client dashboards that survive gateway nodes dying: on every disconnect each
// reconnects to a random node and spectates again with `resume` from the last seqs it saw.
// Every push is checked as it arrives: its seq must be exactly last + 1 (no gap, no repeat).
// stdin: one JSON line {"pool": P, "logs": L} with the final seqs, sent when publishing ended;
// then it waits for everyone to reach them and prints one JSON report.
// usage: node resuming.mjs URL,URL,... TOKEN GUILD CLIENTS
import { io } from "socket.io-client";
import { serve } from "./fleet.mjs";

const [urlList, token, guild, count] = process.argv.slice(2);
const urls = urlList.split(",");
const pick = () => urls[Math.floor(Math.random() * urls.length)];
const dashboards = [];

function start(index) {
  const state = { index, epoch: null, pool: 0, logs: 0, errors: [], reconnects: 0,
                  notRecovered: 0, replayed: 0, socket: null, reasons: {} };
  dashboards.push(state);
  const check = (stream, data) => {
    if (state.epoch !== null && data.epoch !== state.epoch) {
      state.errors.push(`${stream}: epoch ${data.epoch} != ${state.epoch}`);
      return;
    }
    const expected = state[stream] + 1;
    if (data.seq !== expected) state.errors.push(`${stream}: got ${data.seq}, expected ${expected}`);
    state[stream] = Math.max(state[stream], data.seq);
  };
  const connect = () => {
    const socket = io(pick(), { transports: ["websocket"], reconnection: false, forceNew: true,
                                auth: { token }, timeout: 2000 });
    state.socket = socket;
    socket.on("log_pool", (data) => check("pool", data));
    socket.on("log_other", (data) => check("logs", data));
    socket.on("connect", async () => {
      const request = { guild_id: guild, include_logs: true };
      if (state.epoch !== null) {
        request.resume = { epoch: state.epoch, pool_seq: state.pool, logs_seq: state.logs };
      }
      let ack;
      try {
        ack = await socket.timeout(15000).emitWithAck("spectate", request);
      } catch (err) {
        state.reasons["spectate timed out"] = (state.reasons["spectate timed out"] ?? 0) + 1;
        socket.disconnect();  // the node died mid-request: go elsewhere
        return;
      }
      if (!ack.ok) { state.errors.push(`spectate: ${JSON.stringify(ack.error)}`); return; }
      if (state.epoch === null) {
        state.epoch = ack.data.epoch;
        state.pool = ack.data.pool_seq;
        state.logs = ack.data.logs_seq;
        state.startedAt = { pool: ack.data.pool_seq, logs: ack.data.logs_seq };
      } else if (!ack.data.recovered) {
        state.notRecovered += 1;
        state.errors.push(`resume not recovered at ${state.pool}/${state.logs}`);
      } else {
        state.replayed += ack.data.replayed;
      }
    });
    const retry = (why) => {
      const reason = String(why);
      state.reasons[reason] = (state.reasons[reason] ?? 0) + 1;
      socket.removeAllListeners();
      socket.close();
      state.reconnects += 1;
      setTimeout(connect, 50 + Math.random() * 150);
    };
    socket.on("disconnect", retry);
    socket.on("connect_error", retry);
  };
  connect();
}

for (let i = 0; i < Number(count); i++) start(i);
serve(dashboards, (d) => ({
  index: d.index, pool: d.pool, logs: d.logs, startedAt: d.startedAt,
  reconnects: d.reconnects, replayed: d.replayed, reasons: d.reasons,
}));
