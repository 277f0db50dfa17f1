// The fleet side of tests/js/fleet.py: say {"ready": true} once every dashboard spectates;
// then, given the final seqs on stdin ({"pool": P, "logs": L}), wait for all to reach them (or
// 120 s) and print one report: {"done", "report": [fields(d) for each dashboard]}.
import { createInterface } from "node:readline";

export function serve(dashboards, fields) {
  const readyTimer = setInterval(() => {
    if (dashboards.every((d) => d.epoch !== null)) {
      clearInterval(readyTimer);
      console.log(JSON.stringify({ ready: true }));
    }
  }, 20);
  const lines = createInterface({ input: process.stdin });
  lines.on("line", (line) => {
    const target = JSON.parse(line);
    const deadline = Date.now() + 120000;
    const poll = setInterval(() => {
      const done = dashboards.every((d) => d.pool >= target.pool && d.logs >= target.logs);
      if (done || Date.now() > deadline) {
        clearInterval(poll);
        const report = dashboards.map((d) => ({
          ...fields(d), errors: d.errors.slice(0, 5), errorCount: d.errors.length,
        }));
        console.log(JSON.stringify({ done, report }));
        process.exit(0);
      }
    }, 50);
  });
}
