// The explorer: runs one scenario under many seeds, each a whole simulated world (a ManualClock
// with autoAdvance, a SimNetwork with the seed and the fault rates, a dispatcher on it), checks
// the scenario's invariants after every step or at the end, stops at the first failure, and
// reports the seed, the virtual time, the trace's last lines and how to replay it.
//
// Runs are made without a trace (it is the costly part); a failing seed is run again with the
// trace on, which is also a check that the run replays bit for bit (a scenario that reads real
// time, the global random generator or crypto does not, and the report says so). Shrinking runs the failing
// seed again with some of its seeded faults left out (same draws, fewer faults: see
// FaultPlan.keep) and keeps the smallest set of faults that still fails (delta debugging).
//
// copas/sim does not load the dispatcher: the dispatcher is made by a function the caller
// gives (`exploreWith(make, ...)`); "copas/testing" binds it to Copas (`explore`, `exploreIt`).

import type { Clock } from "../common/clock.js";
import * as check from "../common/check.js";
import { checkFaults, type FaultOptions } from "./faults.js";
import { ManualClock } from "./manual-clock.js";
import { Rng } from "./rng.js";
import { SimNetwork, type Latency } from "./sim-network.js";

/** What the explorer uses of a dispatcher (a Copas made on the world's network). */
export interface Explorable {
  /** As `copas.loop()`: runs until finished. */
  loop(): Promise<void>;
  /** As `copas.step(timeout)`: one step. */
  step(timeout?: number | null): Promise<boolean>;
  /** As `copas.finished()`. */
  finished(): boolean;
  /** As `copas.exit()`. */
  exit(): void;
  /** As `copas.exiting()`. */
  exiting(): boolean;
  /** As `copas.cancelall()`: drops every thread and server (a run's end). */
  cancelall(): void;
  /** As `copas.gettrace()`: the run's trace lines. */
  gettrace(): string[];
  /** As `copas.gettraceback(msg, thread, skt)`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any dispatcher's Thread and socket types, without importing them
  gettraceback(msg?: unknown, thread?: any, skt?: any): string;
  /** As `copas.seterrorhandler(fn, isDefault)`: the explorer catches the threads' errors. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
  seterrorhandler(fn: (err: unknown, thread: any, skt: any) => unknown, isDefault?: boolean): void;
}

/** Makes the dispatcher of one run, on `net`, recording a trace when `trace` is true. */
export type MakeDispatcher<D extends Explorable> = (net: SimNetwork, trace: boolean) => D;

/** One run's world, given to the scenario. */
export interface World<D> {
  /** This run's seed (of the network, its faults and `rng`). */
  readonly seed: number;
  /** Virtual time, with autoAdvance on. */
  readonly clock: ManualClock;
  /** The simulated network of this run, seeded with `seed`. */
  readonly net: SimNetwork;
  /** The dispatcher on `net`: add servers, threads and hosts to it. */
  readonly copas: D;
  /** The scenario's own draws (how many requests, which keys...): a stream of the seed apart from the network's. */
  readonly rng: Rng;
  /** Ends the run now (every thread dropped, servers removed), e.g. once the workload is done; end checks follow. */
  stop(): void;
}

/**
 * What a scenario checks. Each check fails by throwing (a chai assertion, say) or by returning
 * `false`. `invariant` runs after every step of the dispatcher (and at the end), `end` once the
 * run is over.
 */
export interface Checks {
  /** Checked after every step of the dispatcher, and at the end. */
  invariant?: () => unknown;
  /** Checked once, when the run is over. */
  end?: () => unknown;
}

/** Sets up one run: hosts, servers, client threads; gives the checks (or nothing). */
export type Scenario<D> = (w: World<D>) => void | Checks | Promise<void | Checks>;

/** Options of `explore`. */
export interface ExploreOptions {
  /** How many seeds (from `first`), or which. Default 100. */
  seeds?: number | readonly number[];
  /** The first seed when `seeds` is a count. Default 1. */
  first?: number;
  /** Stop trying new seeds after this many seconds of real time (needs `realClock`). */
  budget?: number;
  /** Where `budget` reads real time ("copas/testing" passes the real clock). */
  realClock?: Clock;
  /** The network's latency. Default [0.001, 0.01]. */
  latency?: Latency;
  /** The network's chunk size. Default Infinity. */
  chunkSize?: number;
  /** Fault rates (see FaultOptions). Default: none. */
  faults?: FaultOptions;
  /** A run still going at this virtual time fails (a thread waiting forever, say). Default 3600 s. */
  maxTime?: number;
  /** Trace lines in the report. Default 30. */
  tail?: number;
  /** The test's full title, for the replay command (`-g`). */
  title?: string;
  /** Environment the replay command sets besides SEED (a flag the test reads, say). */
  replayEnv?: Readonly<Record<string, string>>;
  /** Look for a smaller set of faults that still fails. Default true. */
  shrink?: boolean;
  /** Let only these seeded faults happen (the numbers a shrunk report gives). */
  keep?: readonly number[] | null;
  /** A thread that ends with an error fails the run. Default true. */
  threadErrors?: boolean;
}

/** A failing run. */
export interface ExploreFailure {
  /** The seed of the failing run (replay it with `SEED=`). */
  seed: number;
  /** Virtual time of the failure. */
  time: number;
  /** What failed. */
  message: string;
  /** The thrown value (an assertion error, say), if any. */
  error: unknown;
  /** The whole trace of the failing run. */
  trace: string[];
  /** Its last lines. */
  tail: string[];
  /** Seeded faults that came up in the run. */
  faults: number;
  /** The smallest set of fault numbers found that still fails (null: not shrunk: no faults, or `shrink: false`). */
  keep: number[] | null;
  /** False when running the seed again did not fail the same way (the scenario is not replayable). */
  replayed: boolean;
  /** The command that runs this seed again. */
  replay: string;
  /** All of it, as text. */
  report: string;
}

/** What `explore` gives: how many seeds ran, and the first failure. */
export interface ExploreResult {
  /** Seeds run (the failing one included). */
  runs: number;
  /** The first failure, or null. */
  failure: ExploreFailure | null;
}

interface Outcome {
  message: string | null;
  error: unknown;
  time: number;
  trace: string[];
  faults: number;
}

const SHRINK_RUNS = 200;
/** Fault lines listed in a report. */
const FAULT_LINES = 10;

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Quotes `s` for a POSIX shell. */
function shellQuote(s: string): string {
  return /^[\w.,/:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The replay command of `seed` (with the kept faults, when shrunk). */
export function replayCommand(
  seed: number,
  title: string | undefined,
  keep: readonly number[] | null,
  extra: Readonly<Record<string, string>> = {},
): string {
  const vars = Object.entries(extra).map(([k, v]) => `${k}=${shellQuote(v)} `).join("");
  const env = `${vars}SEED=${seed}${keep === null ? "" : ` KEEP_FAULTS=${keep.length === 0 ? "none" : keep.join(",")}`}`;
  return title === undefined ? `${env} (run the test again with this seed)` : `${env} npm test -- -g ${shellQuote(title)}`;
}

function checkOptions(o: unknown): ExploreOptions {
  if (typeof o !== "object" || o === null) check.fail("explore", "options", "an object", o);
  const x = o as ExploreOptions;
  const s = x.seeds;
  if (s !== undefined) {
    const okCount = typeof s === "number" && Number.isInteger(s) && s >= 1;
    const okList = Array.isArray(s) && s.length > 0 && s.every((v) => typeof v === "number" && Number.isFinite(v));
    if (!okCount && !okList) check.fail("explore", "options.seeds", "a count (an integer >= 1) or a non-empty array of seeds", s);
  }
  if (x.first !== undefined && !(typeof x.first === "number" && Number.isInteger(x.first))) check.fail("explore", "options.first", "an integer", x.first);
  if (x.budget !== undefined) {
    if (typeof x.budget !== "number" || !(x.budget > 0)) check.fail("explore", "options.budget", "seconds (a number > 0)", x.budget);
    if (x.realClock === undefined) check.fail("explore", "options.realClock", "a Clock to measure the budget with", x.realClock);
  }
  if (x.maxTime !== undefined && (typeof x.maxTime !== "number" || !(x.maxTime > 0) || x.maxTime === Infinity)) {
    check.fail("explore", "options.maxTime", "virtual seconds (a finite number > 0)", x.maxTime);
  }
  if (x.tail !== undefined && !(typeof x.tail === "number" && Number.isInteger(x.tail) && x.tail >= 0)) check.fail("explore", "options.tail", "an integer >= 0", x.tail);
  if (x.faults !== undefined) checkFaults("explore", x.faults, false);
  if (x.keep !== undefined && x.keep !== null && !(Array.isArray(x.keep) && x.keep.every((k) => Number.isInteger(k) && k >= 0))) {
    check.fail("explore", "options.keep", "fault numbers (integers >= 0), or null", x.keep);
  }
  return x;
}

/** Runs `scenario` once on `seed`. */
async function runOnce<D extends Explorable>(
  make: MakeDispatcher<D>,
  scenario: Scenario<D>,
  o: ExploreOptions,
  seed: number,
  trace: boolean,
  keep: readonly number[] | null,
): Promise<Outcome> {
  const clock = new ManualClock();
  clock.autoAdvance = true;
  const net = new SimNetwork({ clock, seed, latency: o.latency ?? [0.001, 0.01], chunkSize: o.chunkSize ?? Infinity });
  if (o.faults !== undefined) net.setFaults(o.faults);
  if (keep !== null) net._faultCount(new Set(keep));
  const d = make(net, trace);
  const out: Outcome = { message: null, error: undefined, time: 0, trace: [], faults: 0 };
  const fail = (message: string, error: unknown) => {
    if (out.message !== null) return;
    out.message = message;
    out.error = error;
    out.time = clock.now();
    d.cancelall();
  };
  if (o.threadErrors !== false) {
    d.seterrorhandler((err, t, skt) => {
      // An unnamed thread's name holds a process-wide id: not the same when the seed is run again.
      const head = d.gettraceback(err, t, skt).split("\n")[0]!.replace(/\(coroutine: thread: 0x[0-9a-f]+,/, "(coroutine: an unnamed thread,");
      fail(`a thread failed: ${head}`, err);
    }, true);
  }
  const verdict = (what: string, fn: (() => unknown) | undefined) => {
    if (fn === undefined || out.message !== null) return;
    try {
      if (fn() === false) fail(`${what} failed`, undefined);
    } catch (e) {
      fail(`${what} failed: ${errorText(e)}`, e);
    }
  };
  const world: World<D> = {
    seed,
    clock,
    net,
    copas: d,
    rng: new Rng(seed, 3),
    stop: () => d.cancelall(),
  };
  const limit = o.maxTime ?? 3600;
  let checks: Checks = {};
  try {
    checks = (await scenario(world)) ?? {};
  } catch (e) {
    fail(`the scenario threw: ${errorText(e)}`, e);
  }
  const stuck = () => fail(`still running at ${limit} s of virtual time (a thread waiting forever?)`, undefined);
  try {
    if (checks.invariant !== undefined) {
      // Step by step, as loop() does: until finished, then exit(), then until finished again.
      clock.setTimer(limit, () => {}); // the clock always has an instant to jump to
      while (out.message === null) {
        if (d.finished()) {
          if (d.exiting()) break;
          d.exit();
          continue;
        }
        await d.step();
        verdict("invariant", checks.invariant);
        if (clock.now() >= limit && !d.finished()) stuck();
      }
    } else {
      clock.setTimer(limit, () => {
        if (!d.finished()) stuck();
      });
      await d.loop();
    }
  } catch (e) {
    fail(`the dispatcher threw: ${errorText(e)}`, e);
  }
  verdict("invariant", checks.invariant);
  verdict("end check", checks.end);
  if (out.message === null) out.time = clock.now();
  if (trace) out.trace = d.gettrace();
  out.faults = net._faultCount();
  return out;
}

/** Delta debugging: a small subset of `items` for which `fails` holds (`fails(items)` does). */
async function ddmin(items: number[], fails: (keep: number[]) => Promise<boolean>): Promise<number[]> {
  let runs = 0;
  const test = async (k: number[]) => ++runs <= SHRINK_RUNS && (await fails(k));
  if (await test([])) return [];
  let c = items;
  let n = 2;
  while (c.length >= 2 && runs < SHRINK_RUNS) {
    const size = Math.ceil(c.length / n);
    const parts: number[][] = [];
    for (let i = 0; i < c.length; i += size) parts.push(c.slice(i, i + size));
    let next: number[] | null = null;
    for (const p of parts) {
      if (await test(p)) {
        next = p;
        n = 2;
        break;
      }
    }
    if (next === null && parts.length > 2) {
      for (const p of parts) {
        const rest = c.filter((x) => !p.includes(x));
        if (await test(rest)) {
          next = rest;
          n = Math.max(n - 1, 2);
          break;
        }
      }
    }
    if (next !== null) c = next;
    else if (n >= c.length) break;
    else n = Math.min(c.length, n * 2);
  }
  return c;
}

function format(f: Omit<ExploreFailure, "report">, runs: number, tailLen: number, o: ExploreOptions): string {
  const lines = [
    `explore: seed ${f.seed} failed (run ${runs}) at ${Math.round(f.time * 1e6) / 1e6} s of virtual time`,
    `  ${f.message}`,
    `  seeded faults that came up: ${f.faults}` +
      (f.keep === null ? "" : f.keep.length === 0 ? "; it fails with none of them" : `; it still fails with only #${f.keep.join(", #")}`),
  ];
  if (!f.replayed) {
    lines.push("  WARNING: the seed did not fail the same way when run again: the scenario is not deterministic (the global random generator, crypto or real time in handler code?)");
  }
  const faultLines = f.trace.filter((l) => l.includes(" fault "));
  if (faultLines.length > 0) {
    lines.push(`  faults in the trace (${faultLines.length}${faultLines.length > FAULT_LINES ? `, the first ${FAULT_LINES}` : ""}):`);
    for (const l of faultLines.slice(0, FAULT_LINES)) lines.push(`    ${l}`);
  }
  if (tailLen > 0) {
    lines.push(`  last ${f.tail.length} trace lines:`);
    for (const l of f.tail) lines.push(`    ${l}`);
  }
  lines.push(`  replay: ${f.replay}`);
  if (f.keep !== null) lines.push(`  replay with fewer faults: ${replayCommand(f.seed, o.title, f.keep, o.replayEnv)}`);
  return lines.join("\n");
}

/**
 * Runs `scenario` under each seed with dispatchers made by `make`, until one fails. For a
 * dispatcher-bound version, see `explore` in "copas/testing".
 */
export function exploreWith<D extends Explorable>(make: MakeDispatcher<D>, options: ExploreOptions, scenario: Scenario<D>): Promise<ExploreResult> {
  // Bad arguments throw here, not in the Promise.
  check.func("explore", "make", make);
  const o = checkOptions(options);
  check.func("explore", "scenario", scenario);
  return run(make, o, scenario);
}

async function run<D extends Explorable>(make: MakeDispatcher<D>, o: ExploreOptions, scenario: Scenario<D>): Promise<ExploreResult> {
  const s = o.seeds ?? 100;
  const first = o.first ?? 1;
  const seeds: Iterable<number> =
    typeof s === "number"
      ? (function* () {
          for (let i = 0; i < s; i++) yield first + i;
        })()
      : s;
  const keep = o.keep ?? null;
  const real = o.realClock;
  const t0 = real?.now() ?? 0;
  let runs = 0;
  for (const seed of seeds) {
    if (o.budget !== undefined && runs > 0 && real!.now() - t0 >= o.budget) break;
    runs++;
    const r = await runOnce(make, scenario, o, seed, false, keep);
    if (r.message === null) continue;
    const traced = await runOnce(make, scenario, o, seed, true, keep);
    const replayed = traced.message === r.message && traced.time === r.time && traced.faults === r.faults;
    let kept: number[] | null = null;
    if (o.shrink !== false && r.faults > 0 && replayed) {
      const all = keep === null ? Array.from({ length: r.faults }, (_, i) => i) : [...keep];
      const small = await ddmin(all, async (k) => (await runOnce(make, scenario, o, seed, false, k)).message !== null);
      kept = small;
    }
    const tailLen = o.tail ?? 30;
    const f: Omit<ExploreFailure, "report"> = {
      seed,
      time: traced.time,
      message: traced.message ?? r.message,
      error: traced.message !== null ? traced.error : r.error,
      trace: traced.trace,
      tail: tailLen === 0 ? [] : traced.trace.slice(-tailLen),
      faults: r.faults,
      keep: kept,
      replayed,
      replay: replayCommand(seed, o.title, keep, o.replayEnv),
    };
    return { runs, failure: { ...f, report: format(f, runs, tailLen, o) } };
  }
  return { runs, failure: null };
}
