// Sockets that leave a stopping node for another, for bench/drain.py.
//   node drain.mjs FROM_URL TO_URL COUNT TOKEN GUILD LEAVE
// opens COUNT sockets to FROM_URL (200 in flight), each elevated by its connect `auth` and
// spectating GUILD with `include_logs`; prints {"ready": COUNT}. Then each socket, when told
// `reconnect` (LEAVE `notice`, at a random moment of the window's first half, as the SDKs
// do; with `close`, the notice is ignored, as a plain socket.io-client
// app would) or when its connection goes (a killed node tells nothing), opens a socket to
// TO_URL and spectates there with `resume` from its seqs. Once all COUNT have resumed (or
// after 180 s) it prints {"resumed", "notices", "first_notice", "last_resumed", "errors"}
// with times in ms since the epoch (Date.now(), the clock bench/drain.py reads too).
import { io } from "socket.io-client";

const [from, to, count, token, guild, leaveOn] = process.argv.slice(2);
const total = Number(count);
let resumed = 0;
let notices = 0;
let firstNotice = null;
let lastResumed = null;
const errors = [];

function connect(url) {
  return new Promise((resolve, reject) => {
    const socket = io(url, { transports: ["websocket"], reconnection: false, forceNew: true,
                             auth: { token }, timeout: 20000 });
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });
}

async function spectate(socket, resume) {
  const request = { guild_id: guild, include_logs: true };
  if (resume) request.resume = resume;
  const ack = await socket.timeout(30000).emitWithAck("spectate", request);
  if (!ack.ok) throw new Error(`spectate refused: ${JSON.stringify(ack.error)}`);
  return ack.data;
}

async function hold(socket, position) {
  let left = false;
  const leave = async (why) => {
    if (left) return;
    left = true;
    socket.removeAllListeners();
    socket.close();
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const moved = await connect(to);
        const ack = await spectate(moved, position);
        if (!ack.recovered) errors.push(`not recovered after ${why}`);
        resumed += 1;
        lastResumed = Date.now();
        return;
      } catch (error) {
        await new Promise((resolve) => setTimeout(resolve, 100 * (attempt + 1)));
        if (attempt === 19) errors.push(`could not resume: ${error.message}`);
      }
    }
  };
  socket.on("reconnect", (notice) => {
    notices += 1;
    firstNotice ??= Date.now();
    // as both SDKs do: at a random moment of the first half of the window
    if (leaveOn === "notice") setTimeout(() => leave("reconnect"), Math.random() * notice.within_ms * 0.5);
  });
  socket.on("disconnect", (reason) => leave(reason));
}

const holding = [];
for (let start = 0; start < total; start += 200) {
  const batch = Math.min(200, total - start);
  holding.push(...(await Promise.all(Array.from({ length: batch }, async () => {
    const socket = await connect(from);
    const ack = await spectate(socket, null);
    return [socket, { epoch: ack.epoch, pool_seq: ack.pool_seq, logs_seq: ack.logs_seq }];
  }))));
}
for (const [socket, position] of holding) hold(socket, position);
console.log(JSON.stringify({ ready: holding.length }));

const deadline = Date.now() + 180000;
const timer = setInterval(() => {
  if (resumed + errors.length >= total || Date.now() > deadline) {
    clearInterval(timer);
    console.log(JSON.stringify({ resumed, notices, first_notice: firstNotice,
                                 last_resumed: lastResumed, errors: errors.slice(0, 5),
                                 error_count: errors.length }));
    process.exit(0);
  }
}, 20);
