// Fallback load client (when loadgen.c cannot be built): CONNS connections, each a closed loop
// of one 64-byte line out, the same line back (checked), repeated. Phases like loadgen: setup
// (each connection does one round trip, then idles), warmup, measure. Prints one JSON line:
// { msgs, secs, lat: { "<us>": count }, errors, alive }. Several of these run at once, in
// separate processes, and the suite merges their figures.
//
// Usage: node-load.ts PORT CONNS SECONDS MSGSIZE WARMUP
import net from "node:net";

const [port, conns, seconds, msgsize, warmup] = process.argv.slice(2).map(Number) as [number, number, number, number, number];
const RAMP = 64;

let phase: "setup" | "warmup" | "measure" | "done" = "setup";
let msgs = 0;
let errors = 0;
let alive = 0;
let ready = 0;
const lat = new Map<number, number>();

function line(seq: number, id: number): Buffer {
  const b = Buffer.alloc(msgsize, 97);
  const tag = `${id}:${seq}:`;
  b.write(tag, 0, "latin1");
  for (let i = tag.length; i < msgsize - 1; i++) b[i] = 97 + ((seq + i) % 26);
  b[msgsize - 1] = 10;
  return b;
}

function open(id: number, onReady: () => void): void {
  const s = net.connect({ host: "127.0.0.1", port });
  s.setNoDelay(true);
  let seq = 0;
  let out = line(0, id);
  let got = 0;
  let parts: Buffer[] = [];
  let t0 = 0;
  let first = true;
  // Setup ends for this connection at its first round trip, or when it fails before that.
  const settle = () => {
    if (!first) return;
    first = false;
    onReady();
  };
  const fire = () => {
    out = line(++seq, id);
    got = 0;
    parts = [];
    t0 = performance.now();
    s.write(out);
  };
  s.on("connect", () => {
    alive++;
    t0 = performance.now();
    s.write(out);
  });
  s.on("data", (d: Buffer) => {
    got += d.length;
    parts.push(d);
    if (got < msgsize) return;
    const back = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (got > msgsize || !back.equals(out)) {
      errors++;
      s.destroy();
      settle();
      return;
    }
    if (phase === "measure") {
      msgs++;
      const us = Math.round((performance.now() - t0) * 1000);
      lat.set(us, (lat.get(us) ?? 0) + 1);
    }
    if (first) {
      settle();
      return; // idle until the closed loops start together
    }
    if (phase !== "done") fire();
  });
  s.on("error", () => {
    errors++;
    settle();
  });
  s.on("close", () => {
    alive--;
    settle();
  });
  starters.push(() => {
    if (!s.destroyed) fire();
  });
}

const starters: (() => void)[] = [];
let next = 0;
let inSetup = 0;

function more(): void {
  while (next < conns && inSetup < RAMP) {
    inSetup++;
    open(next++, () => {
      inSetup--;
      ready++;
      if (ready === conns) begin();
      else more();
    });
  }
}

function begin(): void {
  phase = "warmup";
  for (const f of starters) f();
  setTimeout(() => {
    phase = "measure";
    const m0 = performance.now();
    setTimeout(() => {
      phase = "done";
      const secs = (performance.now() - m0) / 1000;
      process.stdout.write(JSON.stringify({ msgs, secs, lat: Object.fromEntries(lat), errors, alive }) + "\n", () => process.exit(0));
    }, seconds * 1000);
  }, warmup * 1000);
}

more();
