// The steady load of `npm run soak`, as a child process: CONNS connections to the echo server,
// each a closed loop of one 64-byte line out and the same line back (checked). On stdin,
// "window" answers `window <json>` for the time since the last window and starts a new one:
// messages, seconds, p99 latency (us), errors, connections alive, and how many connections
// got no echo at all in the window ("starved": a steady client the server did not serve).
//
// Usage: steady.ts PORT CONNS

import net from "node:net";
import readline from "node:readline";

const [port, conns] = process.argv.slice(2).map(Number) as [number, number];
const SIZE = 64;

let msgs = 0;
let errors = 0;
let alive = 0;
let lat: number[] = [];
let t0 = performance.now();
const served: number[] = [];

function line(id: number, seq: number): Buffer {
  const b = Buffer.alloc(SIZE, 97);
  b.write(`${id}:${seq}:`, 0, "latin1");
  b[SIZE - 1] = 10;
  return b;
}

function open(id: number): void {
  const s = net.connect({ host: "127.0.0.1", port });
  s.setNoDelay(true);
  served[id] = 0;
  let seq = 0;
  let out = line(id, seq);
  let parts: Buffer[] = [];
  let got = 0;
  let sent = 0;
  const fire = () => {
    out = line(id, ++seq);
    parts = [];
    got = 0;
    sent = performance.now();
    s.write(out);
  };
  s.on("connect", () => {
    alive++;
    fire();
  });
  s.on("data", (d: Buffer) => {
    parts.push(d);
    got += d.length;
    if (got < SIZE) return;
    const back = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (got > SIZE || !back.equals(out)) {
      errors++;
      s.destroy();
      return;
    }
    msgs++;
    served[id]!++;
    lat.push(performance.now() - sent);
    fire();
  });
  s.on("error", () => errors++);
  s.on("close", () => {
    alive--;
    // A steady client is not supposed to lose its connection: count it and reconnect.
    errors++;
    setTimeout(() => open(id), 100);
  });
}

for (let i = 0; i < conns; i++) open(i);

readline.createInterface({ input: process.stdin }).on("line", (cmd) => {
  if (cmd !== "window") return;
  const now = performance.now();
  lat.sort((a, b) => a - b);
  const p99 = lat.length === 0 ? null : Math.round(lat[Math.min(lat.length - 1, Math.floor(lat.length * 0.99))]! * 1000);
  const starved = served.filter((n) => n === 0).length;
  console.log(`window ${JSON.stringify({ msgs, secs: (now - t0) / 1000, p99us: p99, errors, alive, starved })}`);
  msgs = 0;
  errors = 0;
  lat = [];
  served.fill(0);
  t0 = now;
});
process.stdin.on("end", () => process.exit(0));
console.log("started");
