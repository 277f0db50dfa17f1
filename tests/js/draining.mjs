// N socket.io-client dashboards through a rolling restart of the gateway nodes. Half of them
// ("hop") leave for another node as soon as theirs pushes `reconnect`; the other half ("stay")
// do nothing special: socket.io-client reconnects by itself to the same URL, with its backoff,
// and lands once the node is back. Both resume on every connect from the last seqs they saw,
// and every push is checked as it arrives: its seq must be exactly last + 1.
// stdin: one JSON line {"pool": P, "logs": L} with the final seqs, sent when publishing ended;
// then it waits for everyone to reach them and prints one JSON report.
// usage: node draining.mjs URL,URL,... TOKEN GUILD CLIENTS
import { io } from "socket.io-client";
import { serve } from "./fleet.mjs";

const [urlList, token, guild, count] = process.argv.slice(2);
const urls = urlList.split(",");
const dashboards = [];
const count1 = (table, key) => { table[key] = (table[key] ?? 0) + 1; };

function start(index) {
  const mode = index % 2 === 0 ? "hop" : "stay";
  const state = { index, mode, epoch: null, pool: 0, logs: 0, errors: [], reasons: {},
                  notices: 0, resumes: 0, replayed: 0, url: urls[index % urls.length],
                  noticedAt: null, handovers: [], socket: null };
  dashboards.push(state);
  const check = (stream, data) => {
    if (data.epoch !== state.epoch) {
      state.errors.push(`${stream}: epoch ${data.epoch} != ${state.epoch}`);
      return;
    }
    const expected = state[stream] + 1;
    if (data.seq !== expected) state.errors.push(`${stream}: got ${data.seq}, expected ${expected}`);
    state[stream] = Math.max(state[stream], data.seq);
  };
  const spectate = async (socket) => {
    const request = { guild_id: guild, include_logs: true };
    if (state.epoch !== null) {
      request.resume = { epoch: state.epoch, pool_seq: state.pool, logs_seq: state.logs };
    }
    let ack;
    try {
      ack = await socket.timeout(15000).emitWithAck("spectate", request);
    } catch {
      count1(state.reasons, "spectate timed out");
      return;
    }
    if (!ack.ok) { state.errors.push(`spectate: ${JSON.stringify(ack.error)}`); return; }
    if (state.epoch === null) {
      state.epoch = ack.data.epoch;
      state.pool = ack.data.pool_seq;
      state.logs = ack.data.logs_seq;
      state.startedAt = { pool: ack.data.pool_seq, logs: ack.data.logs_seq };
      return;
    }
    if (!ack.data.recovered) state.errors.push(`resume not recovered at ${state.pool}/${state.logs}`);
    state.resumes += 1;
    state.replayed += ack.data.replayed;
    if (state.noticedAt !== null) {
      state.handovers.push(Date.now() - state.noticedAt);  // told to go, resumed again
      state.noticedAt = null;
    }
  };
  const open = () => {
    const socket = io(state.url, {
      transports: ["websocket"], forceNew: true, auth: { token }, timeout: 5000,
      // "stay": socket.io-client's own reconnection; "hop" reconnects by hand, elsewhere
      reconnection: mode === "stay", reconnectionDelay: 200, reconnectionDelayMax: 2000,
    });
    state.socket = socket;
    socket.on("log_pool", (data) => check("pool", data));
    socket.on("log_other", (data) => check("logs", data));
    socket.on("connect", () => spectate(socket));
    socket.on("reconnect", (notice) => {
      state.notices += 1;
      state.noticedAt = Date.now();
      if (notice.reason !== "shutdown" || !(notice.within_ms > 0)) {
        state.errors.push(`reconnect notice ${JSON.stringify(notice)}`);
      }
      if (mode === "hop") hop(socket);
    });
    socket.on("disconnect", (reason) => {
      count1(state.reasons, reason);
      // the node went away before this dashboard had left (or a "hop" one was refused)
      if (mode === "hop" && reason !== "io client disconnect") hop(socket);
    });
    socket.on("connect_error", (err) => {
      count1(state.reasons, `connect_error: ${err.message}`);
      // "stay": socket.io-client retries by itself (socket.active); "hop": try another node
      if (mode === "hop") hop(socket);
      else if (!socket.active) state.errors.push(`gave up after connect_error ${err.message}`);
    });
  };
  const hop = (socket) => {
    if (socket !== state.socket) return;  // this socket was already left
    socket.removeAllListeners();
    socket.close();
    const others = urls.filter((url) => url !== state.url);
    state.url = others[Math.floor(Math.random() * others.length)];
    setTimeout(open, 20 + Math.random() * 80);
  };
  open();
}

for (let i = 0; i < Number(count); i++) start(i);
serve(dashboards, (d) => ({
  index: d.index, mode: d.mode, pool: d.pool, logs: d.logs, startedAt: d.startedAt,
  notices: d.notices, resumes: d.resumes, replayed: d.replayed, reasons: d.reasons,
  handovers: d.handovers,
}));
