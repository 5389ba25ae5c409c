// Timer lateness: N threads each pause a seeded random 0..1 s, RUNS times in one process (the
// first runs are cold: the JIT has not compiled the paths yet). For each run prints one line
// `run <i> min_ms=.. p50_ms=.. p99_ms=.. max_ms=.. starts_ms=..` (lateness: how long after the asked time
// each woke; starts_ms: from the first addthread until the last thread had started).
// copas threads on the real clock, against plain Node async functions awaiting a
// `timers/promises` sleep.
//
// copas on preciseClock ("precise") as well.
//
// Usage: bench/probes/timers.ts copas|precise|plain N RUNS SEED
import { setTimeout as sleep } from "node:timers/promises";
import { Copas, preciseClock } from "copas";

const [mode, nArg, runsArg, seedArg] = process.argv.slice(2);
const n = Number(nArg);
const runs = Number(runsArg);
let seed = Number(seedArg);

/** Park-Miller minimal standard generator: exact in doubles, so the Lua probe draws the same delays. */
function next(): number {
  seed = (seed * 16807) % 2147483647;
  return seed / 2147483647;
}

function pct(xs: Float64Array, p: number): number {
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
}

const late = new Float64Array(n);
let lastStart = 0;

function* copasSleeper(c: Copas, i: number, d: number) {
  const t0 = performance.now();
  lastStart = t0;
  yield* c.pause(d);
  late[i] = performance.now() - t0 - d * 1000;
}

async function plainSleeper(i: number, d: number) {
  const t0 = performance.now();
  lastStart = t0;
  await sleep(d * 1000);
  late[i] = performance.now() - t0 - d * 1000;
}

for (let run = 1; run <= runs; run++) {
  const delays = Array.from({ length: n }, next);
  const t0 = performance.now();
  if (mode === "copas" || mode === "precise") {
    const c = new Copas(mode === "precise" ? { clock: preciseClock } : {});
    for (let i = 0; i < n; i++) c.addthread(copasSleeper, c, i, delays[i]!);
    await c.loop();
  } else if (mode === "plain") {
    const ps: Promise<void>[] = [];
    for (let i = 0; i < n; i++) ps.push(plainSleeper(i, delays[i]!));
    await Promise.all(ps);
  } else throw new Error("timers: mode must be copas or plain");
  const f = (x: number) => x.toFixed(3);
  console.log(`run ${run} min_ms=${f(pct(late, 0))} p50_ms=${f(pct(late, 0.5))} p99_ms=${f(pct(late, 0.99))} max_ms=${f(pct(late, 1))} starts_ms=${f(lastStart - t0)}`);
}
