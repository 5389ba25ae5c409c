/**
 * "copas/testing": the simulator and the dispatcher together, for tests. "copas/sim" stays
 * free of the dispatcher (and of Node); this entry binds them:
 *
 * - `explore(options, scenario)` and `exploreIt(title, options, scenario)` (mocha): run a
 *   scenario under many seeds with seeded faults, stop at the first failure, report the seed,
 *   the virtual time, the trace's last lines and the replay command.
 * - `simulate(net, fn)` and `setDefaultWorld(net)`: point the default `copas` and `socket` of
 *   "copas" (and "copas/socket") at a dispatcher on a SimNetwork, so a program written against
 *   the defaults (a Lua port) runs on the simulated world unchanged.
 *
 * ```ts
 * import { exploreIt } from "copas/testing";
 * exploreIt("never loses an acknowledged write", { seeds: 500, faults: { reset: 0.02 } }, (w) => {
 *   // w.copas, w.net, w.clock, w.rng: set up servers and clients...
 *   return { end: () => expect(serverTotal).to.equal(acknowledged) };
 * });
 * // on failure: "explore: seed 17 failed ... replay: SEED=17 npm test -- -g '...'"
 * ```
 *
 * @module
 */
import { Copas } from "./copas.js";
import { realClock } from "./node/real-clock.js";
import { _setDefaults } from "./default-world.js";
import { exploreWith, type ExploreFailure, type ExploreOptions, type ExploreResult, type Scenario } from "./sim/explore.js";
import { SimNetwork } from "./sim/sim-network.js";
import * as check from "./common/check.js";

export type { World, Checks, Scenario, ExploreOptions, ExploreResult, ExploreFailure } from "./sim/explore.js";
export { replayCommand } from "./sim/explore.js";
export type { FaultOptions } from "./sim/faults.js";

const makeCopas = (net: SimNetwork, trace: boolean): Copas => new Copas({ network: net, trace });

/**
 * Runs `scenario` under each seed (`options.seeds`, default 100 from `options.first` = 1, or
 * until `options.budget` seconds of real time) on a fresh world: a ManualClock with
 * autoAdvance, a SimNetwork with the seed, `options.latency` and `options.faults`, and a Copas
 * on it. Stops at the first failure (a check that throws or returns false, a thread that
 * throws, a run still going at `options.maxTime`). Resolves with the number of runs and the
 * failure (null when every seed passed).
 */
export function explore(options: ExploreOptions, scenario: Scenario<Copas>): Promise<ExploreResult> {
  return exploreWith(makeCopas, { realClock, ...options }, scenario);
}

/** Thrown by `exploreIt` when a seed fails: its message is the report. */
export class ExploreError extends Error {
  constructor(readonly failure: ExploreFailure) {
    super(failure.report);
    this.name = "ExploreError";
  }
}

type MochaIt = (title: string, fn: (this: { test?: { fullTitle(): string }; timeout(ms: number): void }) => Promise<void>) => unknown;

/**
 * A mocha test (`it`) that explores `scenario` and fails with the report of the first failing
 * seed. Environment: `SEED=n` runs that seed only (the replay), `KEEP_FAULTS=3,9` (or `none`)
 * lets only those seeded faults happen (a shrunk replay), `TAIL=n` shows the last n trace lines.
 */
export function exploreIt(title: string, options: ExploreOptions, scenario: Scenario<Copas>): unknown {
  check.string("exploreIt", "title", title);
  const it = (globalThis as { it?: MochaIt }).it;
  if (typeof it !== "function") throw new Error("exploreIt: mocha's `it` is not defined here (call it in a spec file)");
  return it(title, async function () {
    const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env ?? {};
    const o: ExploreOptions = { ...options, title: this.test?.fullTitle() ?? title };
    if (env.SEED !== undefined && env.SEED !== "") {
      const seed = Number(env.SEED);
      if (!Number.isFinite(seed)) throw new TypeError(`exploreIt: SEED must be a number, got ${JSON.stringify(env.SEED)}`);
      o.seeds = [seed];
      delete o.budget;
    }
    if (env.KEEP_FAULTS !== undefined && env.KEEP_FAULTS !== "") {
      o.keep = env.KEEP_FAULTS === "none" ? [] : env.KEEP_FAULTS.split(",").map(Number);
    }
    if (env.TAIL !== undefined && env.TAIL !== "") o.tail = Number(env.TAIL);
    // A budget may take its time; a count of seeds keeps mocha's timeout.
    if (o.budget !== undefined) this.timeout(o.budget * 2000 + 20000);
    const r = await explore(o, scenario);
    if (r.failure !== null) throw new ExploreError(r.failure);
  });
}

function dispatcherFor(fn: string, world: unknown, trace: boolean): Copas {
  if (world instanceof Copas) return world;
  if (world instanceof SimNetwork) return new Copas({ network: world, trace });
  return check.fail(fn, "world", "a SimNetwork, or a Copas made on one", world);
}

/**
 * Points the default `copas` and `socket` (of "copas" and "copas/socket") at a dispatcher on
 * `world` (a SimNetwork, or a Copas made on one), or back at the real ones (null). Gives the
 * function that restores what was there before; prefer `simulate`, which always calls it.
 */
export function setDefaultWorld(world: SimNetwork | Copas | null, options: { trace?: boolean } = {}): () => void {
  return _setDefaults(world === null ? null : dispatcherFor("setDefaultWorld", world, !!options.trace));
}

/**
 * Runs `fn(d)` with the default `copas` and `socket` pointed at `d`, a dispatcher on `world`
 * (made with `trace: options.trace`), and restores the real ones afterwards, even when `fn`
 * throws. A program written against the defaults (`import copas, { socket } from "copas"`)
 * that is imported or called inside `fn` runs on the simulated world.
 *
 * ```ts
 * await simulate(net, async (d) => {
 *   d.addthread(client);                          // talks to the server below
 *   await import("./echo-server.ts");             // unchanged; its copas.loop() runs the world
 * });
 * ```
 */
export async function simulate<T>(world: SimNetwork | Copas, fn: (d: Copas) => T | Promise<T>, options: { trace?: boolean } = {}): Promise<T> {
  const d = dispatcherFor("simulate", world, !!options.trace);
  check.func("simulate", "fn", fn);
  const restore = _setDefaults(d);
  try {
    return await fn(d);
  } finally {
    restore();
  }
}
