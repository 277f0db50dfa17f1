// A bad token in the connect auth object: prints what connect_error carries.
import { io } from "socket.io-client";

const [url, token] = process.argv.slice(2);
const socket = io(url, { transports: ["websocket"], reconnection: false, auth: { token } });
socket.on("connect", () => { console.log(JSON.stringify({ connected: true })); process.exit(1); });
socket.on("connect_error", (err) => {
  console.log(JSON.stringify({ message: err.message, data: err.data ?? null }));
  process.exit(0);
});
