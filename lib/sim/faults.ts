// Faults drawn from the seed: a SimNetwork's rates (and per host pair overrides) turned into
// decisions at fixed points of a run (a delivery, a write, a datagram sent) and into fault
// processes on the clock (partitions that come and heal, hosts that crash and restart).
//
// Every decision comes from one Rng stream of the network's seed (stream 2, apart from the
// latency draws of stream 0), and a draw is made only where the rate of that fault is above 0:
// with no faults set nothing is drawn and nothing is logged, so runs without faults are exactly
// what they were before faults existed. Every fault that happens is a `fault ...` trace line.
//
// Interarrival times are uniform on [0, 2/rate] (mean 1/rate), not exponential: only + - * /
// are used, so a seed replays bit for bit on every platform (Math.log need not be).

import * as check from "../common/check.js";
import { Rng } from "./rng.js";

/** Seconds, or `[min, max]` drawn per use from the seed. */
export type Range = number | readonly [number, number];

/**
 * Fault rates of a SimNetwork (`new SimNetwork({ faults })`, `net.setFaults(faults)`), or of one
 * pair of hosts (`net.setFaults(faults, a, b)`: what it sets replaces the network's for that
 * pair). Every rate defaults to 0 (off). Probabilities are per event, from 0 to 1.
 */
export interface FaultOptions {
  /** TCP: chance per delivery of data that the connection is reset there instead: the data in flight both ways is lost and both ends get "closed". */
  reset?: number;
  /** TCP and UDP: chance per delivery (a chunk, a datagram) that its latency is a spike drawn from `spikeLatency`. */
  spike?: number;
  /** Seconds of a latency spike. Default [0.2, 2]. */
  spikeLatency?: Range;
  /** TCP: bytes per delivery, drawn per chunk from `[min, max]` (instead of the network's chunkSize). */
  chunkSize?: readonly [number, number];
  /** UDP: chance per datagram that it is lost. */
  loss?: number;
  /** UDP: chance per datagram that it arrives twice (the copy with its own latency). */
  duplicate?: number;
  /** UDP: chance per datagram that it is held back by `reorderDelay`, so later ones overtake it. */
  reorder?: number;
  /** Seconds a reordered datagram is held back. Default [0.01, 0.2]. */
  reorderDelay?: Range;
  /**
   * Partitions per second (virtual). Network-wide: each cuts two hosts drawn among those seen
   * so far; for a pair: that pair. Each heals after `partitionLength`.
   */
  partition?: number;
  /** Seconds a partition lasts. Default [0.5, 5]. */
  partitionLength?: Range;
  /** Network-wide only: crashes per second of each host with a start function (`net.host(name, start)`); each restarts after `downtime`. */
  crash?: number;
  /** Seconds a crashed host stays down. Default [0.5, 5]. */
  downtime?: Range;
  /** Network-wide only: clock offset of each host (`h.now()`), drawn at each start; may be negative. */
  skew?: Range;
  /** Network-wide only: no partition or crash begins after this virtual time. Default 3600. */
  until?: number;
}

/** The fault rates in force between two hosts. */
export class FaultSet {
  reset = 0;
  spike = 0;
  spikeLatency: [number, number] = [0.2, 2];
  /** [0, 0]: off (the network's chunkSize). */
  chunkSize: [number, number] = [0, 0];
  loss = 0;
  duplicate = 0;
  reorder = 0;
  reorderDelay: [number, number] = [0.01, 0.2];
  partition = 0;
  partitionLength: [number, number] = [0.5, 5];

  /** True when any per-connection or per-datagram fault is on. */
  get any(): boolean {
    return this.reset > 0 || this.spike > 0 || this.chunkSize[1] > 0 || this.loss > 0 || this.duplicate > 0 || this.reorder > 0;
  }
}

const PAIR_KEYS = new Set([
  "reset",
  "spike",
  "spikeLatency",
  "chunkSize",
  "loss",
  "duplicate",
  "reorder",
  "reorderDelay",
  "partition",
  "partitionLength",
]);
const NET_KEYS = new Set([...PAIR_KEYS, "crash", "downtime", "skew", "until"]);

function prob(fn: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !(v >= 0 && v <= 1)) check.fail(fn, `faults.${name}`, "a probability from 0 to 1", v);
  return v;
}

function rate(fn: string, name: string, v: unknown): number {
  if (typeof v !== "number" || !(v >= 0) || v === Infinity) check.fail(fn, `faults.${name}`, "a finite rate >= 0 (per virtual second)", v);
  return v;
}

function range(fn: string, name: string, v: unknown, negative = false): [number, number] {
  const ok = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x) && (negative || x >= 0);
  const what = negative ? "seconds (a finite number) or [min, max] with min <= max" : "seconds (a finite number >= 0) or [min, max] with 0 <= min <= max";
  if (ok(v)) return [v, v];
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1]) && v[0] <= v[1]) return [v[0], v[1]];
  return check.fail(fn, `faults.${name}`, what, v);
}

function chunks(fn: string, v: unknown): [number, number] {
  const ok = (x: unknown): x is number => typeof x === "number" && Number.isInteger(x) && x >= 1;
  if (Array.isArray(v) && v.length === 2 && ok(v[0]) && ok(v[1]) && v[0] <= v[1]) return [v[0], v[1]];
  return check.fail(fn, "faults.chunkSize", "[min, max] bytes, integers with 1 <= min <= max", v);
}

/** Checks `o` (every key known, every value in range) and returns it. */
export function checkFaults(fn: string, o: unknown, pair: boolean): FaultOptions {
  if (typeof o !== "object" || o === null || Array.isArray(o)) check.fail(fn, "faults", "an object of fault rates", o);
  const keys = pair ? PAIR_KEYS : NET_KEYS;
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (!keys.has(k)) {
      const why = NET_KEYS.has(k) ? "network-wide only, not for a pair of hosts" : "not a fault option";
      check.fail(fn, `faults.${k}`, `one of ${[...keys].join(", ")} (${k} is ${why})`, v);
    }
    switch (k) {
      case "reset":
      case "spike":
      case "loss":
      case "duplicate":
      case "reorder":
        prob(fn, k, v);
        break;
      case "partition":
      case "crash":
        rate(fn, k, v);
        break;
      case "chunkSize":
        chunks(fn, v);
        break;
      case "skew":
        range(fn, k, v, true);
        break;
      case "until":
        if (typeof v !== "number" || !(v >= 0)) check.fail(fn, "faults.until", "a virtual time in seconds (>= 0, Infinity: none)", v);
        break;
      default:
        range(fn, k, v);
    }
  }
  return o;
}

/** `base` with what `o` sets laid over it. */
function apply(base: FaultSet, o: FaultOptions): FaultSet {
  const s = Object.assign(new FaultSet(), base);
  if (o.reset !== undefined) s.reset = o.reset;
  if (o.spike !== undefined) s.spike = o.spike;
  if (o.spikeLatency !== undefined) s.spikeLatency = range("", "", o.spikeLatency);
  if (o.chunkSize !== undefined) s.chunkSize = [o.chunkSize[0], o.chunkSize[1]];
  if (o.loss !== undefined) s.loss = o.loss;
  if (o.duplicate !== undefined) s.duplicate = o.duplicate;
  if (o.reorder !== undefined) s.reorder = o.reorder;
  if (o.reorderDelay !== undefined) s.reorderDelay = range("", "", o.reorderDelay);
  if (o.partition !== undefined) s.partition = o.partition;
  if (o.partitionLength !== undefined) s.partitionLength = range("", "", o.partitionLength);
  return s;
}

/** What the fault processes do to the network (SimNetwork's controls). */
export interface FaultTarget {
  readonly clock: { now(): number; setTimer(s: number, fn: () => void): unknown };
  /** Hosts seen so far, in order of appearance. */
  _hosts(): readonly string[];
  /** Hosts with a start function, in order of registration. */
  _startable(): readonly string[];
  /** Cuts `a` and `b` apart; `tag` ends the trace line. */
  _partition(a: string, b: string, tag: string): void;
  _heal(a: string, b: string): void;
  _partitioned(a: string, b: string): boolean;
  _crash(host: string, tag: string): void;
  _restart(host: string): void;
  _isDown(host: string): boolean;
}

/** Seconds rounded as trace times are. */
export function secs(x: number): string {
  return String(Math.round(x * 1e6) / 1e6);
}

/**
 * @internal the faults of one SimNetwork: the rates in force (network-wide and per pair), the
 * draws, and the processes on the clock.
 */
export class FaultPlan {
  readonly rng: Rng;
  /** Network-wide rates. */
  net = new FaultSet();
  #netOptions: FaultOptions = {};
  /** Pair key → what was set for the pair, and the rates in force there. */
  #pairs = new Map<string, { a: string; b: string; options: FaultOptions; set: FaultSet }>();
  crash = 0;
  downtime: [number, number] = [0.5, 5];
  skew: [number, number] = [0, 0];
  until = 3600;
  /** True when some pair has its own rates (a map lookup per decision then). */
  #anyPair = false;
  /** Bumped when rates change: timers of older processes do nothing. */
  #gen = 0;
  /** Faults that came up so far (numbered from 0 in order), kept or not. */
  fired = 0;
  /** When set, only the faults with these numbers happen (the explorer's shrinking). */
  keep: ReadonlySet<number> | null = null;

  constructor(
    seed: number,
    readonly target: FaultTarget,
    readonly log: (line: string) => void,
    readonly pairKey: (a: string, b: string) => string,
  ) {
    this.rng = new Rng(seed, 2);
  }

  /** Sets the network's rates (`a`, `b` null) or a pair's, and (re)starts the processes. */
  set(o: FaultOptions, a: string | null, b: string | null): void {
    if (a === null || b === null) {
      this.#netOptions = { ...this.#netOptions, ...o };
      this.net = apply(new FaultSet(), this.#netOptions);
      if (o.crash !== undefined) this.crash = o.crash;
      if (o.downtime !== undefined) this.downtime = range("", "", o.downtime);
      if (o.skew !== undefined) this.skew = range("", "", o.skew, true);
      if (o.until !== undefined) this.until = o.until;
    } else {
      const k = this.pairKey(a, b);
      const old = this.#pairs.get(k);
      const options = { ...old?.options, ...o };
      this.#pairs.set(k, { a: a < b ? a : b, b: a < b ? b : a, options, set: new FaultSet() });
    }
    for (const p of this.#pairs.values()) p.set = apply(this.net, p.options);
    this.#anyPair = this.#pairs.size > 0;
    this.#start();
  }

  /** True when any per-delivery fault may happen (else the hot paths skip the plan). */
  get active(): boolean {
    if (this.net.any) return true;
    for (const p of this.#pairs.values()) if (p.set.any) return true;
    return false;
  }

  /** The rates between hosts `a` and `b`. */
  at(a: string, b: string): FaultSet {
    if (!this.#anyPair) return this.net;
    return this.#pairs.get(this.pairKey(a, b))?.set ?? this.net;
  }

  /** One draw: true with probability `p` (no draw when `p` is 0), unless shrinking drops it. */
  chance(p: number): boolean {
    return p > 0 && this.rng.next() < p && this.#fire();
  }

  /** " #k": the number of the fault that came up last, for its trace line. */
  tag(): string {
    return ` #${this.fired - 1}`;
  }

  /** A fault comes up: it gets the next number, and happens unless `keep` leaves it out. */
  #fire(): boolean {
    const k = this.fired++;
    return this.keep === null || this.keep.has(k);
  }

  draw(r: readonly [number, number]): number {
    return this.rng.range(r[0], r[1]);
  }

  /** The skew of a host starting now: drawn (and logged) when skews are on, else 0. */
  drawSkew(host: string): number {
    const [lo, hi] = this.skew;
    if (lo === 0 && hi === 0) return 0;
    const s = this.rng.range(lo, hi);
    this.log(`fault skew ${host} ${secs(s)}`);
    return s;
  }

  // ---- processes -----------------------------------------------------------------------

  #start(): void {
    const gen = ++this.#gen;
    const netPartition = this.net.partition;
    if (netPartition > 0) this.#after(netPartition, gen, () => this.#partitionSomePair(gen));
    for (const p of this.#pairs.values()) {
      if (p.options.partition !== undefined && p.set.partition > 0) {
        const { a, b, set } = p;
        this.#after(set.partition, gen, () => this.#partitionPair(a, b, set, gen));
      }
    }
    if (this.crash > 0) for (const h of this.target._startable()) this.#after(this.crash, gen, () => this.#crashHost(h, gen));
  }

  /** A host with a start function was added: it may crash too. */
  hostAdded(host: string): void {
    if (this.crash > 0) {
      const gen = this.#gen;
      this.#after(this.crash, gen, () => this.#crashHost(host, gen));
    }
  }

  /** Runs `fn` after an interval drawn for `perSecond`, unless the rates changed meanwhile or it is past `until`. */
  #after(perSecond: number, gen: number, fn: () => void): void {
    const t = this.target.clock;
    const dt = this.rng.range(0, 2 / perSecond);
    if (t.now() + dt > this.until) return;
    t.setTimer(dt, () => {
      if (gen === this.#gen) fn();
    });
  }

  #partitionSomePair(gen: number): void {
    const hosts = this.target._hosts();
    const n = hosts.length;
    if (n >= 2) {
      const i = this.rng.int(n);
      let j = this.rng.int(n - 1);
      if (j >= i) j++;
      const a = hosts[i]!;
      const b = hosts[j]!;
      // A pair with a partition rate of its own is left to its own process.
      const own = this.#pairs.get(this.pairKey(a, b));
      if (own === undefined || own.options.partition === undefined) this.#cut(a, b, this.net);
    }
    this.#after(this.net.partition, gen, () => this.#partitionSomePair(gen));
  }

  #partitionPair(a: string, b: string, set: FaultSet, gen: number): void {
    this.#cut(a, b, set);
    this.#after(set.partition, gen, () => this.#partitionPair(a, b, set, gen));
  }

  #cut(a: string, b: string, set: FaultSet): void {
    const t = this.target;
    if (t._partitioned(a, b) || !this.#fire()) return;
    t._partition(a, b, this.tag());
    t.clock.setTimer(this.draw(set.partitionLength), () => t._heal(a, b));
  }

  #crashHost(host: string, gen: number): void {
    const t = this.target;
    if (t._isDown(host) || !this.#fire()) {
      this.#after(this.crash, gen, () => this.#crashHost(host, gen));
      return;
    }
    t._crash(host, this.tag());
    t.clock.setTimer(this.draw(this.downtime), () => {
      if (t._isDown(host)) t._restart(host);
      if (gen === this.#gen) this.#after(this.crash, gen, () => this.#crashHost(host, gen));
    });
  }
}
