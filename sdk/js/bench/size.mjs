// What the package adds to a browser bundle, minified and gzipped, beside socket.io-client's
// own: esbuild bundles each for the browser (socket.io-client and Redux Toolkit left out of
// ours, as an app has them anyway). Run after `npm run build`: `node bench/size.mjs`.
import { build } from "esbuild";
import { gzipSync } from "node:zlib";

async function size(label, contents, external = []) {
  const result = await build({
    stdin: { contents, resolveDir: new URL("..", import.meta.url).pathname, loader: "js" },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    write: false,
    external,
    define: { "process.env.NODE_ENV": '"production"' },
  });
  const code = result.outputFiles[0].contents;
  const gzip = gzipSync(code, { level: 9 }).length;
  console.log(`${label}: ${code.length} B minified, ${gzip} B gzip`);
}

await size("@architus/sdk (everything it exports)", 'export * from "./dist/index.js";', [
  "socket.io-client",
  "@reduxjs/toolkit",
]);
await size(
  "@architus/sdk (ArchitusClient only)",
  'export { ArchitusClient } from "./dist/index.js";',
  ["socket.io-client", "@reduxjs/toolkit"],
);
await size("socket.io-client (io)", 'export { io } from "socket.io-client";');
await size(
  "@reduxjs/toolkit (what the package uses)",
  'export { configureStore, createSlice, createAction, createEntityAdapter, combineReducers } from "@reduxjs/toolkit";',
);
