// The numbers behind the README's "Performance tips": small, in-process, a few seconds in all.
//
//   npm run bench:tips
//
// 1. Spawn cost: `addthread(worker, i)` with a module-level `function*`, against
//    `addthread(function* () { ... i ... })` that creates a new generator function per thread.
// 2. `yield*` depth: pause(0) round robin over 100 threads whose op sits under 0, 4 or 16 levels
//    of `yield*` (helper generators calling helper generators).
// 3. Binary data: receiving 64 KiB blocks over 127.0.0.1 as latin1 strings (the default) and as
//    Buffers (`setencoding("buffer")`).
// Each figure is the best of 3 runs (the machine may be shared: best-of damps other load).
import { Copas, type TcpSocket } from "copas";

const best = async (f: () => Promise<number> | number): Promise<number> => {
  let b = 0;
  for (let i = 0; i < 3; i++) b = Math.max(b, await f());
  return b;
};
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

// ---- 1. spawn cost -----------------------------------------------------------------------
const SPAWNS = 100_000;
let sink = 0;
function* moduleLevel(i: number) {
  sink += i;
}

async function spawns(inline: boolean): Promise<number> {
  const d = new Copas();
  const t0 = performance.now();
  await d.loop(function* () {
    for (let done = 0; done < SPAWNS; done += 10_000) {
      if (inline) {
        for (let i = 0; i < 10_000; i++) {
          d.addthread(function* () {
            sink += i;
          });
        }
      } else {
        for (let i = 0; i < 10_000; i++) d.addthread(moduleLevel, i);
      }
      yield* d.pause(0);
    }
  });
  return SPAWNS / ((performance.now() - t0) / 1000);
}

/** The same difference in plain JavaScript: creating and running a generator, no copas. */
function plainGenerators(inline: boolean): number {
  const t0 = performance.now();
  for (let i = 0; i < SPAWNS * 5; i++) {
    const g = inline
      ? (function* () {
          sink += i;
        })()
      : moduleLevel(i);
    g.next();
  }
  return (SPAWNS * 5) / ((performance.now() - t0) / 1000);
}

// ---- 2. yield* depth ---------------------------------------------------------------------
const THREADS = 100;
const ROUNDS = 1_000;

async function depth(levels: number): Promise<number> {
  const d = new Copas();
  function* nested(n: number): Generator<unknown, number, unknown> {
    if (n === 0) return yield* d.pause(0);
    return yield* nested(n - 1);
  }
  function* worker() {
    for (let i = 0; i < ROUNDS; i++) yield* nested(levels);
  }
  for (let i = 0; i < THREADS; i++) d.addthread(worker);
  const t0 = performance.now();
  await d.loop();
  return (THREADS * ROUNDS) / ((performance.now() - t0) / 1000);
}

// ---- 3. binary data ------------------------------------------------------------------------
const TOTAL = 16 * 2 ** 20;

/** MiB/s receiving TOTAL bytes with `receive(block)` (or `receivepartial(block)`). */
async function binary(encoding: "latin1" | "buffer", block: number, partial = false): Promise<number> {
  const BLOCK = block;
  const BLOCKS = TOTAL / block;
  const d = new Copas();
  const [server, err] = await d.socket.bind("127.0.0.1", 0);
  if (server === null) throw new Error(err);
  const [, port] = server.getsockname() as [string, number, string];
  const payload = new Uint8Array(BLOCK).fill(0xa5);
  let bytes = 0;
  d.addserver(server, function* (skt: TcpSocket) {
    for (let i = 0; i < BLOCKS; i++) yield* d.send(skt, payload);
    d.removeserver(server);
  });
  const t0 = performance.now();
  d.addthread(function* () {
    const raw = d.socket.tcp();
    raw.setencoding(encoding);
    const skt = d.wrap(raw);
    yield* skt.connect("127.0.0.1", port);
    for (;;) {
      const [data, err, part] = partial ? yield* skt.receivepartial(BLOCK) : yield* skt.receive(BLOCK);
      if (data !== null) {
        bytes += data.length;
        continue;
      }
      bytes += part?.length ?? 0; // receivepartial: what came so far ("timeout"); or before "closed"
      if (err !== "timeout") break;
    }
    skt.close();
  });
  await d.loop();
  if (bytes !== BLOCK * BLOCKS) throw new Error(`binary: ${bytes} bytes`);
  return bytes / 2 ** 20 / ((performance.now() - t0) / 1000);
}

/**
 * Frames/s of a binary protocol: a 4-byte big-endian length, then the body, whose bytes the
 * reader needs as bytes (here: summing them). latin1 strings must be converted; Buffers not.
 */
async function frames(encoding: "latin1" | "buffer"): Promise<number> {
  const N = 20_000;
  const d = new Copas();
  const [server, err] = await d.socket.bind("127.0.0.1", 0);
  if (server === null) throw new Error(err);
  const [, port] = server.getsockname() as [string, number, string];
  const frame = Buffer.alloc(4 + 1024, 7);
  frame.writeUInt32BE(1024, 0);
  let sum = 0;
  d.addserver(server, function* (skt: TcpSocket) {
    for (let i = 0; i < N; i++) yield* d.send(skt, frame);
    d.removeserver(server);
  });
  const t0 = performance.now();
  d.addthread(function* () {
    const raw = d.socket.tcp();
    raw.setencoding(encoding);
    const skt = d.wrap(raw);
    yield* skt.connect("127.0.0.1", port);
    for (let i = 0; i < N; i++) {
      const [head] = yield* skt.receive(4);
      if (head === null) throw new Error("frames: closed early");
      const h = typeof head === "string" ? Buffer.from(head, "latin1") : (head as Buffer);
      const [body] = yield* skt.receive(h.readUInt32BE(0));
      if (body === null) throw new Error("frames: closed early");
      const b = typeof body === "string" ? Buffer.from(body, "latin1") : (body as Buffer);
      sum += b[0]! + b[b.length - 1]!;
    }
    skt.close();
  });
  await d.loop();
  if (sum !== 14 * N) throw new Error(`frames: sum ${sum}`);
  return N / ((performance.now() - t0) / 1000);
}

console.log(`Node ${process.version}, ${new Date().toISOString().slice(0, 16)} UTC`);
const mod = await best(() => spawns(false));
const inl = await best(() => spawns(true));
console.log(`spawn, addthread(moduleLevel, i):        ${fmt(mod)} threads/s`);
console.log(`spawn, addthread(function* () {...}):    ${fmt(inl)} threads/s  (${(mod / inl).toFixed(2)}x slower; ${(1e6 / inl - 1e6 / mod).toFixed(2)} us more per thread)`);
const pm = await best(() => plainGenerators(false));
const pi = await best(() => plainGenerators(true));
console.log(`plain JS, create+run module-level gen:   ${fmt(pm)} /s`);
console.log(`plain JS, create+run inline gen:         ${fmt(pi)} /s  (${(pm / pi).toFixed(2)}x slower)`);
for (const levels of [0, 4, 16]) {
  console.log(`pause(0) under ${String(levels).padStart(2)} levels of yield*:     ${fmt(await best(() => depth(levels)))} switches/s`);
}
for (const block of [1024, 65_536]) {
  for (const enc of ["latin1", "buffer"] as const) {
    console.log(`receive(${block}), encoding ${enc.padEnd(6)}: ${fmt(await best(() => binary(enc, block)))} MiB/s`);
  }
}
for (const enc of ["latin1", "buffer"] as const) {
  console.log(`receivepartial(65536), encoding ${enc.padEnd(6)}: ${fmt(await best(() => binary(enc, 65_536, true)))} MiB/s`);
}
for (const enc of ["latin1", "buffer"] as const) {
  console.log(`frames (4-byte length + 1 KiB), ${enc.padEnd(6)}: ${fmt(await best(() => frames(enc)))} frames/s`);
}
void sink;
