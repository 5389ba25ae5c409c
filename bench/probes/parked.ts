// Heap held by N threads parked in pause(): copas threads sleeping on its timer heap, against
// plain Node async functions each awaiting a `timers/promises` sleep. Run with --expose-gc.
// Prints `parked <bytes of heap per thread>`.
//
// Usage: node --expose-gc ... bench/probes/parked.ts copas|plain N
import { setTimeout as sleep } from "node:timers/promises";
import { Copas } from "copas";

const [mode, nArg] = process.argv.slice(2);
const n = Number(nArg);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("parked: run with --expose-gc");

function heap(): number {
  for (let i = 0; i < 3; i++) gc!();
  return process.memoryUsage().heapUsed;
}

const LONG = 1e6; // seconds: they stay parked while measured

// One shared thread function, as a server's handler is one function for every connection.
function* parkedThread(c: Copas) {
  yield* c.pause(LONG);
}

async function parkedAsync() {
  await sleep(LONG * 1000, undefined, { ref: false });
}

const keep: unknown[] = [];
const h0 = heap();
if (mode === "copas") {
  const c = new Copas();
  keep.push(c);
  for (let i = 0; i < n; i++) c.addthread(parkedThread, c);
  await c.step(0); // every thread runs once and parks in pause()
  if (c.status().timer !== n) throw new Error(`parked: ${c.status().timer} of ${n} threads parked`);
} else if (mode === "plain") {
  for (let i = 0; i < n; i++) keep.push(parkedAsync());
} else throw new Error("parked: mode must be copas or plain");
const h1 = heap();
console.log(`parked ${(h1 - h0) / n}`);
process.exit(0);
