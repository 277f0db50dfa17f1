// Bundles the demo page's script (src/demo.js) with @architus/sdk, socket.io-client and Redux
// Toolkit into one file, dist/demo.bundle.js, which the gateway serves at /static/demo.bundle.js.
// `npm run build` (scripts/install runs it after building sdk/js, which it needs).
import { build } from "esbuild";
import { existsSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
if (!existsSync(`${here}/node_modules/@architus/sdk/dist/index.js`)) {
  console.error(
    "web: @architus/sdk is not built: run `npm ci --prefix sdk/js && npm run build --prefix sdk/js` first",
  );
  process.exit(1);
}

const result = await build({
  absWorkingDir: here,
  entryPoints: ["src/demo.js"],
  outfile: "dist/demo.bundle.js",
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  define: { "process.env.NODE_ENV": '"production"' },
  // The SDK is a link to ../sdk/js, whose own node_modules (its development install) would
  // resolve its imports to a second socket.io-client and Redux Toolkit. An alias resolves from
  // this directory: one copy of each, the versions this package-lock pins.
  alias: { "socket.io-client": "socket.io-client", "@reduxjs/toolkit": "@reduxjs/toolkit" },
  metafile: true,
  logLevel: "warning",
});
const bytes = Object.values(result.metafile.outputs)[0].bytes;
console.log(`web: dist/demo.bundle.js ${(bytes / 1024).toFixed(1)} KiB`);
