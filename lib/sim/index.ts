/// <reference types="node" preserve="true" />
// (The declarations use Buffer and node:tls types: a consumer gets Node's types through this line,
// without listing "node" in its own "types", as TypeScript 6 and later require.)
/**
 * "copas/sim": a virtual clock and an in-memory network, so a dispatcher runs step by step
 * with the same interleaving on every run, without real sockets or real time.
 *
 * ```ts
 * import { Copas } from "copas";
 * import { ManualClock, SimNetwork } from "copas/sim";
 * const clock = new ManualClock();
 * clock.autoAdvance = true;
 * const net = new SimNetwork({ clock, seed: 1, latency: [0.001, 0.02] });
 * const copas = new Copas({ clock, network: net, trace: true });
 * // ... addserver / addthread with net.socket ...
 * await copas.loop();
 * console.log(copas.gettrace().join("\n"));
 * ```
 *
 * @module copas/sim
 */
export { ManualClock } from "./manual-clock.js";
export { SimNetwork } from "./sim-network.js";
export type { Latency, SimNetworkOptions } from "./sim-network.js";
export { Rng } from "./rng.js";
export { SimHost } from "./host.js";
export type { HostRunner, HostStart } from "./host.js";
export type { FaultOptions, Range } from "./faults.js";
export { exploreWith, replayCommand } from "./explore.js";
export type { Explorable, MakeDispatcher, World, Checks, Scenario, ExploreOptions, ExploreResult, ExploreFailure } from "./explore.js";
