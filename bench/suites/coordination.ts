// Coordination modules against the same work done with plain Promises, in one run:
//   - lock hand-offs per second between 100 threads (each holds the lock across one switch,
//     so the others queue and every release hands it to the next);
//   - queue items per second, 1 producer pushing batches of 100 and 10 workers popping.
// Both run on a real-clock dispatcher, as a server would.

import { Copas } from "copas";
import type { BenchRow, BenchSuite } from "../types.js";

const THREADS = 100;
const WORKERS = 10;
const BATCH = 100;
/** Awaiting it yields one microtask turn, as awaiting null does. */
const TICK = Promise.resolve();

function seconds(): number {
  return performance.now() / 1000;
}

async function copasLock(rounds: number): Promise<number> {
  const copas = new Copas();
  const lock = copas.lock.new(Infinity);
  let handoffs = 0;
  for (let i = 0; i < THREADS; i++) {
    copas.addthread(function* () {
      for (let r = 0; r < rounds; r++) {
        yield* lock.get();
        handoffs++;
        yield* copas.pause(0); // hold it across a switch, so the others queue up
        lock.release();
      }
    });
  }
  const t0 = seconds();
  await copas.loop();
  return handoffs / (seconds() - t0);
}

/** The plain-Promise mutex: a FIFO of resolvers; release hands over to the first. */
class AsyncMutex {
  #locked = false;
  #waiters: (() => void)[] = [];
  acquire(): Promise<void> | void {
    if (!this.#locked) {
      this.#locked = true;
      return;
    }
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
  release(): void {
    const next = this.#waiters.shift();
    if (next !== undefined) next();
    else this.#locked = false;
  }
}

async function promiseLock(rounds: number): Promise<number> {
  const m = new AsyncMutex();
  let handoffs = 0;
  const worker = async () => {
    for (let r = 0; r < rounds; r++) {
      await m.acquire();
      handoffs++;
      await TICK; // hold it across a switch, so the others queue up
      m.release();
    }
  };
  const t0 = seconds();
  await Promise.all(Array.from({ length: THREADS }, worker));
  return handoffs / (seconds() - t0);
}

async function copasQueue(items: number): Promise<number> {
  const copas = new Copas();
  const q = copas.queue.new<number>();
  let handled = 0;
  for (let w = 0; w < WORKERS; w++) {
    q.add_worker(() => {
      handled++;
    });
  }
  copas.addthread(function* () {
    for (let i = 0; i < items; i++) {
      q.push(i);
      if (i % BATCH === BATCH - 1) yield* copas.pause(0);
    }
    yield* q.finish(Infinity);
  });
  const t0 = seconds();
  await copas.loop();
  if (handled !== items) throw new Error(`queue bench: handled ${handled} of ${items}`);
  return items / (seconds() - t0);
}

/** The plain-Promise queue: items, or resolvers of poppers waiting for one. */
class AsyncQueue<T> {
  #items: T[] = [];
  #first = 0;
  #poppers: ((v: T) => void)[] = [];
  push(v: T): void {
    const p = this.#poppers.shift();
    if (p !== undefined) p(v);
    else this.#items.push(v);
  }
  pop(): Promise<T> | T {
    if (this.#first < this.#items.length) {
      const v = this.#items[this.#first++]!;
      if (this.#first === this.#items.length) {
        this.#items.length = 0;
        this.#first = 0;
      }
      return v;
    }
    return new Promise<T>((resolve) => this.#poppers.push(resolve));
  }
}

async function promiseQueue(items: number): Promise<number> {
  const q = new AsyncQueue<number | null>();
  let handled = 0;
  const worker = async () => {
    for (;;) {
      const v = await q.pop();
      if (v === null) return;
      handled++;
    }
  };
  const t0 = seconds();
  const workers = Array.from({ length: WORKERS }, worker);
  for (let i = 0; i < items; i++) {
    q.push(i);
    if (i % BATCH === BATCH - 1) await TICK;
  }
  for (let w = 0; w < WORKERS; w++) q.push(null);
  await Promise.all(workers);
  if (handled !== items) throw new Error(`promise queue bench: handled ${handled} of ${items}`);
  return items / (seconds() - t0);
}

function row(name: string, unit: string, value: number, baseline: number, baselineName: string): BenchRow {
  return {
    name,
    value: Math.round(value),
    unit,
    baseline: Math.round(baseline),
    baselineName,
    note: `ratio ${(value / baseline).toFixed(2)}x`,
  };
}

const suite: BenchSuite = {
  name: "coordination",
  async run({ quick }) {
    const rounds = quick ? 50 : 500;
    const items = quick ? 20_000 : 300_000;
    await copasLock(5); // warm up both sides
    await promiseLock(5);
    const lockC = await copasLock(rounds);
    const lockP = await promiseLock(rounds);
    await copasQueue(1000);
    await promiseQueue(1000);
    const qC = await copasQueue(items);
    const qP = await promiseQueue(items);
    return [
      row(`lock hand-offs, ${THREADS} threads`, "hand-offs/s", lockC, lockP, "async mutex (Promises)"),
      row(`queue, 1 producer ${WORKERS} workers`, "items/s", qC, qP, "async queue (Promises)"),
    ];
  },
};

export default suite;
