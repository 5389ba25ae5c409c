// An in-memory network for deterministic tests: hosts named by any address string, TCP
// connections made of SimStream pairs, and faults a test injects (latency, chunking, resets,
// partitions, full backlogs). Its LuaSocket layer is the real one (lib/socket.ts and
// lib/tcp.ts) over this Network, so receive patterns, buffers and error strings are the same.
//
// Everything happens on the clock's timers, and all randomness comes from one seeded Rng, so
// one seed and one program give one run. Per-host state (ports, partitions) and delivery
// timing live here, per-connection state in SimStream, per-socket state of datagrams in
// SimDatagram (bound on their own ports, apart from TCP's, and timed by the same `_delay`).

import type { Clock } from "../common/clock.js";
import type { ConnectOptions, ListenOptions, ListenerLike, Network, SecureHandshake, SecureOptions, StreamLike } from "../socket/network.js";
import { makeSocketModule, type SocketModule } from "../socket/socket-module.js";
import { Selectable } from "../socket/select.js";
import * as check from "../common/check.js";
import { ManualClock } from "./manual-clock.js";
import { Rng } from "./rng.js";
import { checkFaults, FaultPlan, type FaultOptions, type FaultTarget } from "./faults.js";
import { SimHost, type HostRunner, type HostStart } from "./host.js";
import { SimDatagram, type DatagramFabric } from "./sim-datagram.js";
import { SimListener } from "./sim-listener.js";
import { SimStream, type SimFabric } from "./sim-stream.js";

/** Seconds, or `[min, max]` drawn per delivery from the seed. */
export type Latency = number | readonly [number, number];

/** Options of `new SimNetwork(options)`. */
export interface SimNetworkOptions<C extends Clock = ManualClock> {
  /** The clock deliveries are timed on (usually a ManualClock). Default: a new ManualClock. */
  clock?: C;
  /** Seed of the network's random generator (latency draws). Default 0. */
  seed?: number;
  /** Default 0. */
  latency?: Latency;
  /** Most bytes per delivery (1: byte by byte). Default Infinity. */
  chunkSize?: number;
  /** Faults drawn from the seed (resets, partitions, spikes, crashes, UDP loss...). Default: none. */
  faults?: FaultOptions;
}

/** First port handed out for port 0 and for the local end of connections, per host. */
const EPHEMERAL = 49152;

function err(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

function checkLatency(fn: string, l: unknown): [number, number] {
  const ok = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x) && x >= 0;
  if (ok(l)) return [l, l];
  if (Array.isArray(l) && l.length === 2) {
    const [min, max] = l as unknown[];
    if (ok(min) && ok(max) && min <= max) return [min, max];
  }
  return check.fail(fn, "latency", "seconds (a finite number >= 0) or [min, max] with 0 <= min <= max", l);
}

function checkChunk(fn: string, n: unknown): number {
  if (n === Infinity || (typeof n === "number" && Number.isInteger(n) && n >= 1)) return n;
  return check.fail(fn, "chunkSize", "an integer >= 1, or Infinity", n);
}

function checkHost(fn: string, arg: string, h: unknown): string {
  if (typeof h !== "string" || h === "" || /\s/.test(h)) check.fail(fn, arg, "a host address (a non-empty string without spaces)", h);
  return h;
}

/** "localhost" is "127.0.0.1"; any other non-empty string names a host as it is. */
function canonical(h: string): string {
  return h === "localhost" ? "127.0.0.1" : h;
}

function wildcard(h: string): boolean {
  return h === "0.0.0.0" || h === "::";
}

/** True when binding `host` would take a port one of `list` (bound at `hostOf(x)`) holds. */
function taken<T>(list: readonly T[] | undefined, host: string, hostOf: (x: T) => string): boolean {
  if (list === undefined) return false;
  const wild = wildcard(host);
  return list.some((x) => wild || wildcard(hostOf(x)) || hostOf(x) === host);
}

/** The one of `list` bound at `host`, else the one bound at the wildcard. */
function boundAt<T>(list: readonly T[] | undefined, host: string, hostOf: (x: T) => string): T | undefined {
  if (list === undefined) return undefined;
  let any: T | undefined;
  for (const x of list) {
    const h = hostOf(x);
    if (h === host) return x;
    if (wildcard(h)) any = x;
  }
  return any;
}

const listenerHost = (l: SimListener): string => l.host;
const datagramHost = (d: SimDatagram): string => d._local!.address;

type TlsEngine = typeof import("../node/tls-engine.js");

/** The TLS engine (node:tls over a Duplex), loaded on the first handshake of any SimNetwork. */
let tlsEngine: Promise<TlsEngine> | null = null;

function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}

/**
 * An in-memory network. Give it to `new Copas({ network })` and make sockets with its
 * `socket` layer (the LuaSocket API and error strings of the real one).
 *
 * ```ts
 * const clock = new ManualClock();
 * const net = new SimNetwork({ clock, seed: 7, latency: [0.001, 0.01], chunkSize: 1 });
 * const copas = new Copas({ network: net, trace: true });
 * const [server] = await net.socket.bind("10.0.0.1", 80);
 * copas.addserver(server!, handler);
 * net.partition("127.0.0.1", "10.0.0.1"); // data held, receives time out
 * net.heal();                             // held data flows again
 * ```
 *
 * Hosts: a socket's host is its local address (`getsockname()[0]`). A listener's host is the
 * one it was bound to ("*": every host). A connecting socket's host is the one it was bound to
 * with `bind(host, port)` before `connect` (or `socket.connect(host, port, localHost)`), else
 * "127.0.0.1". Local ports are handed out per host from 49152 up.
 *
 * Datagrams (`socket.udp()`): each one delivered on its own after a latency drawn per datagram,
 * dropped (never held) across a partition or where nothing is bound; UDP ports are per host and
 * apart from TCP's. See SimDatagram for the rules.
 */
export class SimNetwork<C extends Clock = ManualClock> {
  /** The LuaSocket layer over this network. */
  readonly socket: SocketModule;
  /** The clock deliveries are timed on. */
  readonly clock: C;

  #net: Network;
  #rng: Rng;
  #lat: [number, number] = [0, 0];
  #chunk = Infinity;
  /** Listeners by port. */
  #ports = new Map<number, SimListener[]>();
  /** Next ephemeral port per host. */
  #nextPort = new Map<string, number>();
  #partitions = new Set<string>();
  #held: { a: string; b: string; fn: () => void }[] = [];
  #observers: ((line: string) => void)[] = [];
  /** Bound datagram sockets by port. */
  #udp = new Map<number, SimDatagram[]>();
  /** Next ephemeral datagram port per host. */
  #nextUdp = new Map<string, number>();
  #fabric: SimFabric & DatagramFabric;
  /** Hosts crashed and not restarted. */
  #down = new Set<string>();
  /** Open streams, for crashes (in order of creation, so a crash is deterministic). */
  #streams = new Set<SimStream>();
  /** Hosts seen (bound, connected from or to), in order of appearance: where partitions are drawn. */
  #seen: string[] = [];
  #seenSet = new Set<string>();
  #hosts = new Map<string, SimHost>();
  /** Dispatchers made on this network (they run the hosts' start functions). */
  #runners: HostRunner[] = [];
  /** Randomness for handler code (`copas.random()`): its own stream of the seed. */
  #random: Rng;
  #seed: number;
  #faults: FaultPlan | null = null;
  /** The clock's hold, for the TLS engine (a ManualClock only). */
  #busy: { hold(): void; release(): void } | null = null;

  constructor(options: SimNetworkOptions<C> = {}) {
    if (typeof options !== "object" || options === null) check.fail("SimNetwork", "options", "an object", options);
    const clock = options.clock ?? (new ManualClock() as Clock as C);
    const c = clock as Partial<Clock>;
    if (typeof c.now !== "function" || typeof c.setTimer !== "function" || typeof c.clearTimer !== "function") {
      check.fail("SimNetwork", "options.clock", "a Clock (a ManualClock)", clock);
    }
    const seed = options.seed ?? 0;
    if (typeof seed !== "number" || !Number.isFinite(seed)) check.fail("SimNetwork", "options.seed", "a finite number", seed);
    this.clock = clock;
    this.#seed = seed;
    this.#rng = new Rng(seed);
    this.#random = new Rng(seed, 1);
    this.#lat = checkLatency("SimNetwork", options.latency ?? 0);
    this.#chunk = checkChunk("SimNetwork", options.chunkSize ?? Infinity);
    // Plain data fields (kept up to date by the setters): read on every delivery.
    this.#fabric = {
      clock,
      _delay: (a, b) => this.#delay(a, b),
      _chunkSize: this.#chunk,
      _blocked: (a, b) =>
        (this.#partitions.size > 0 || this.#down.size > 0) &&
        a !== b &&
        (this.#partitions.has(pairKey(a, b)) || this.#down.has(a) || this.#down.has(b)),
      _downs: 0,
      _isDown: (h) => this.#down.has(h),
      _faults: null,
      _gone: (st) => {
        this.#streams.delete(st);
      },
      _hold: (a, b, fn) => {
        this.#held.push({ a, b, fn });
      },
      _tracing: false,
      _log: (line) => this.#log(line),
      _bindDatagram: (d, host, port) => this.#bindDatagram(d, host, port),
      _unbindDatagram: (d) => this.#unbindDatagram(d),
      _findDatagram: (host, port) => boundAt(this.#udp.get(port), host, datagramHost),
    };
    this.#net = {
      kind: "sim",
      clock,
      connect: (o) => this.#connect(o),
      listen: (o) => this.#listen(o),
      datagram: (o) => new SimDatagram(this.#fabric, o.type),
      secure: (params, o) => this.#secure(params, o),
    };
    this.socket = makeSocketModule(this.#net);
    if (options.faults !== undefined) this.setFaults(options.faults);
  }

  // ---- controls ------------------------------------------------------------------------

  /** Latency of deliveries from now on: seconds, or `[min, max]` drawn per delivery. */
  setLatency(latency: Latency): void {
    this.#lat = checkLatency("setLatency", latency);
    this.#log(`set latency ${this.#lat[0] === this.#lat[1] ? this.#lat[0] : this.#lat.join("..")}`);
  }

  /** Most bytes per delivery for data written from now on (1: byte by byte; Infinity). */
  setChunkSize(n: number): void {
    this.#chunk = checkChunk("setChunkSize", n);
    this.#fabric._chunkSize = n;
    this.#log(`set chunkSize ${n}`);
  }

  /** Resets the connection of `skt`: undelivered data is dropped and both ends get "closed". */
  reset(skt: unknown): void {
    const s = this.#streamOf("reset", skt);
    if (s.destroyed && (s._peer === null || s._peer.destroyed)) return;
    this.#log(`fault reset ${s._name}`);
    s._reset();
  }

  /** Cuts hosts `a` and `b` apart: data between them is held (sent on after `heal`). */
  partition(a: string, b: string): void {
    const x = canonical(checkHost("partition", "a", a));
    const y = canonical(checkHost("partition", "b", b));
    if (x === y) check.fail("partition", "b", "a host other than 'a'", b);
    this.#partition(x, y, "");
  }

  #partition(x: string, y: string, tag: string): void {
    this.#partitions.add(pairKey(x, y));
    this.#log(`fault partition ${x < y ? `${x} ${y}` : `${y} ${x}`}${tag}`);
  }

  /**
   * Heals partitions: `heal()` every one, `heal(a)` every one of host `a`, `heal(a, b)` the one
   * between `a` and `b`. Data held by a healed partition is delivered at once.
   */
  heal(a?: string | null, b?: string | null): void {
    const x = a === undefined || a === null ? null : canonical(checkHost("heal", "a", a));
    const y = b === undefined || b === null ? null : canonical(checkHost("heal", "b", b));
    if (x === null && y !== null) check.fail("heal", "a", "a host when 'b' is given", a);
    for (const k of [...this.#partitions]) {
      const [p, q] = k.split("\u0000") as [string, string];
      if (x === null || (y === null ? p === x || q === x : k === pairKey(x, y))) {
        this.#partitions.delete(k);
        this.#log(`fault heal ${p} ${q}`);
      }
    }
    this.#release();
  }

  /** What was held for hosts no longer apart goes on at once. */
  #release(): void {
    const held = this.#held;
    this.#held = [];
    for (const h of held) {
      if (this.#fabric._blocked(h.a, h.b)) this.#held.push(h);
      else this.clock.setTimer(0, h.fn);
    }
  }

  /** True when a partition separates `a` and `b`. */
  partitioned(a: string, b: string): boolean {
    return this.#fabric._blocked(canonical(checkHost("partitioned", "a", a)), canonical(checkHost("partitioned", "b", b)));
  }

  // ---- hosts, faults, randomness -------------------------------------------------------

  /**
   * The host `name` (made on first use). With `start`, its start function: run now as a thread
   * of the dispatcher made on this network (in the host's group: threads and servers it adds
   * are the host's), and again after each restart. Give it once per host.
   */
  host(name: string, start?: HostStart): SimHost {
    const h = canonical(checkHost("host", "name", name));
    if (start !== undefined) check.func("host", "start", start);
    let host = this.#hosts.get(h);
    if (host === undefined) {
      host = new SimHost(h, null, () => this.clock.now(), () => !this.#down.has(h));
      this.#hosts.set(h, host);
      this.#see(h);
    }
    if (start !== undefined) {
      if (host._start !== null) throw new TypeError(`host: bad argument 'start' (host ${h} has a start function already)`);
      host._start = start;
      this.#faults?.hostAdded(h);
      if (!this.#down.has(h)) this.#boot(host);
    }
    return host;
  }

  /**
   * Crashes `host`: its listeners vanish, its connections and datagram sockets die without a
   * word to their peers (data sent to it waits, unanswered, until it is back, and is then
   * answered with a reset: "closed"), connection attempts to it wait until it is back, and the
   * dispatcher removes and unwinds the threads of its group (its start function's threads,
   * the handlers of its servers). Its disk is kept. No-op when it is down.
   */
  crash(host: string): void {
    this.#crash(canonical(checkHost("crash", "host", host)), "");
  }

  #crash(h: string, tag: string): void {
    if (this.#down.has(h)) return;
    this.#down.add(h);
    this.#fabric._downs = this.#down.size;
    this.#log(`fault crash ${h}${tag}`);
    for (const list of [...this.#ports.values()]) for (const l of [...list]) if (l.host === h) l.close();
    for (const list of [...this.#udp.values()]) for (const d of [...list]) if (d._local!.address === h) d._crash();
    for (const st of [...this.#streams]) if (st.localAddress === h) st._crash();
    for (const r of this.#runners) r._killgroup(h);
  }

  /**
   * Brings `host` back (crashing it first when it is up): what waited for it goes on, and its
   * start function, if it has one, runs again (with its disk as the crash left it).
   */
  restart(host: string): void {
    const h = canonical(checkHost("restart", "host", host));
    if (!this.#down.has(h)) this.crash(h);
    this.#down.delete(h);
    this.#fabric._downs = this.#down.size;
    this.#log(`fault restart ${h}`);
    this.#release();
    const ho = this.#hosts.get(h);
    if (ho !== undefined && ho._start !== null) this.#boot(ho);
  }

  /** True while `host` is crashed. */
  isdown(host: string): boolean {
    return this.#down.has(canonical(checkHost("isdown", "host", host)));
  }

  /**
   * Sets fault rates drawn from the seed: the network's (`setFaults(f)`), or those of the pair
   * `a`, `b` (`setFaults(f, a, b)`: what it sets replaces the network's there). Only the
   * options given change. See FaultOptions.
   */
  setFaults(faults: FaultOptions, a?: string, b?: string): void {
    const pair = a !== undefined || b !== undefined;
    checkFaults("setFaults", faults, pair);
    let x: string | null = null;
    let y: string | null = null;
    if (pair) {
      x = canonical(checkHost("setFaults", "a", a));
      y = canonical(checkHost("setFaults", "b", b));
      if (x === y) check.fail("setFaults", "b", "a host other than 'a'", b);
    }
    const fp = (this.#faults ??= new FaultPlan(this.#seed, this.#faultTarget(), (l) => this.#log(l), pairKey));
    fp.set(faults, x, y);
    this.#fabric._faults = fp.active ? fp : null;
  }

  /** A float in [0, 1) from the seed (its own stream): what `copas.random()` gives on this network. */
  random(): number {
    return this.#random.next();
  }

  /**
   * @internal seeded faults that came up so far (numbered from 0), and, with `keep`, the only
   * ones allowed to happen from now on (the explorer's shrinking: same draws, fewer faults).
   */
  _faultCount(keep?: ReadonlySet<number> | null): number {
    const fp = this.#faults;
    if (fp === null) return 0;
    if (keep !== undefined) fp.keep = keep;
    return fp.fired;
  }

  /** @internal a dispatcher made on this network: it runs the hosts' start functions. */
  _attach(r: HostRunner): void {
    this.#runners.push(r);
    if (this.#runners.length === 1) {
      for (const h of this.#hosts.values()) if (h._start !== null && h.boots === 0 && !this.#down.has(h.name)) this.#boot(h);
    }
  }

  #boot(h: SimHost): void {
    const r = this.#runners[0];
    if (r === undefined) return; // started when a dispatcher is made on the network
    h.boots++;
    if (this.#faults !== null) h.skew = this.#faults.drawSkew(h.name);
    r._spawn(h.name, h.name, h._start!, h);
  }

  #see(h: string): void {
    if (this.#seenSet.has(h) || wildcard(h)) return;
    this.#seenSet.add(h);
    this.#seen.push(h);
  }

  #faultTarget(): FaultTarget {
    return {
      clock: this.clock,
      _hosts: () => this.#seen,
      _startable: () => [...this.#hosts.values()].filter((h) => h._start !== null).map((h) => h.name),
      _partition: (a, b, tag) => this.#partition(a, b, tag),
      _heal: (a, b) => this.heal(a, b),
      _partitioned: (a, b) => this.#fabric._blocked(a, b) && this.#partitions.has(pairKey(a, b)),
      _crash: (h, tag) => this.#crash(h, tag),
      _restart: (h) => this.restart(h),
      _isDown: (h) => this.#down.has(h),
    };
  }

  /** @internal a dispatcher made with `trace: true` on this network: send it our events. */
  _observe(c: (line: string) => void): void {
    this.#observers.push(c);
    this.#fabric._tracing = true;
  }

  // ---- Network -------------------------------------------------------------------------

  #connect(o: ConnectOptions): StreamLike {
    const local = canonical(o.localAddress ?? "127.0.0.1");
    const lport = o.localPort || this.#ephemeral(local);
    const host = canonical(o.host);
    const c = new SimStream(this.#fabric, local, lport, host, o.port, false);
    if (host === "" || /\s/.test(host) || host === "0.0.0.0" || host === "::") {
      this.clock.setTimer(0, () => c._fail(err(`getaddrinfo ENOTFOUND ${host}`, "ENOTFOUND")));
      return c;
    }
    this.#streams.add(c);
    this.#see(local);
    this.#see(host);
    this.clock.setTimer(this.#delay(local, host), () => this.#syn(c));
    return c;
  }

  /** A connection request arrives at its host. */
  #syn(c: SimStream): void {
    if (c.destroyed) return;
    const host = c.remoteAddress;
    const port = c.remotePort;
    if (this.#down.size > 0 && this.#down.has(host)) {
      this.#synLater(c, 0);
      return;
    }
    if (this.#fabric._blocked(c.localAddress, host)) {
      if (this.#fabric._tracing) this.#log(`held ${c._name} partition`);
      this.#held.push({ a: c.localAddress, b: host, fn: () => this.#syn(c) });
      return;
    }
    const l = port === 0 ? undefined : this.#find(host, port);
    const back = this.#delay(host, c.localAddress);
    if (l === undefined || l.queued >= l.backlog) {
      if (this.#fabric._tracing) this.#log(`refuse ${c._name} ${l === undefined ? "nothing listens" : "backlog full"}`);
      this.clock.setTimer(back, () => c._fail(err(`connect ECONNREFUSED ${host}:${port}`, "ECONNREFUSED")));
      return;
    }
    const s = new SimStream(this.#fabric, host, port, c.localAddress, c.localPort, true);
    this.#streams.add(s);
    s._peer = c;
    c._peer = s;
    s._backlog = l;
    l.queued++;
    // The server's data must not overtake the connection's acceptance on the way back.
    s._after(this.clock.now() + back);
    if (this.#fabric._tracing) this.#log(`connect ${c._name}`);
    this.clock.setTimer(back, () => c._connected());
    l.onConnection(s);
  }

  /**
   * A connection request reached a host that is down: nothing answers, so it is sent again
   * after 1, 2, 4 ... 32 s (as TCP retransmits a SYN), and fails 127 s after the first attempt
   * if the host is still down, with "host is unreachable" (what a router's ICMP answer gives;
   * not ETIMEDOUT, whose "timeout" would read as "still connecting" to a connect loop).
   */
  #synLater(c: SimStream, n: number): void {
    if (n === 0 && this.#fabric._tracing) this.#log(`held ${c._name} host down`);
    this.clock.setTimer(2 ** n, () => {
      if (c.destroyed) return;
      if (!this.#down.has(c.remoteAddress)) this.#syn(c);
      else if (n < 6) this.#synLater(c, n + 1);
      else {
        if (this.#fabric._tracing) this.#log(`timeout ${c._name} host down`);
        c._fail(err(`connect EHOSTUNREACH ${c.remoteAddress}:${c.remotePort}`, "EHOSTUNREACH"));
      }
    });
  }

  #listen(o: ListenOptions): Promise<[ListenerLike, null] | [null, string]> {
    const host = canonical(o.host);
    if (host === "" || /\s/.test(host)) return Promise.resolve([null, "host not found"]);
    let port = o.port;
    if (port === 0) {
      do port = this.#ephemeral(host);
      while (this.#conflicts(host, port));
    } else if (this.#conflicts(host, port)) {
      return Promise.resolve([null, "address already in use"]);
    }
    const l = new SimListener(host, port, o.backlog, o.onConnection, (x) => this.#unlisten(x));
    this.#see(host);
    const list = this.#ports.get(port);
    if (list === undefined) this.#ports.set(port, [l]);
    else list.push(l);
    this.#log(`listen ${host}:${port}`);
    return Promise.resolve([l, null]);
  }

  #unlisten(l: SimListener): void {
    const list = this.#ports.get(l.port);
    if (list === undefined) return;
    const i = list.indexOf(l);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) this.#ports.delete(l.port);
  }

  #conflicts(host: string, port: number): boolean {
    return taken(this.#ports.get(port), host, listenerHost);
  }

  #find(host: string, port: number): SimListener | undefined {
    return boundAt(this.#ports.get(port), host, listenerHost);
  }

  #ephemeral(host: string, next = this.#nextPort): number {
    const p = next.get(host) ?? EPHEMERAL;
    next.set(host, p >= 65535 ? EPHEMERAL : p + 1);
    return p;
  }

  // ---- TLS -----------------------------------------------------------------------------

  /**
   * node:tls over the simulated connection, loaded on first use (a dynamic import, cached) so
   * that "copas/sim" loads neither node:tls nor node:net unless a simulation uses TLS. Always
   * a Promise, even once loaded: a handshake then takes the same steps whether or not an
   * earlier simulation in the process loaded the engine. On a ManualClock the clock is held
   * until it settles, and while the engine works (lib/node/duplex.ts): virtual time does not
   * move while real work that decides what happens next is pending.
   */
  #secure(params: unknown, o: SecureOptions): Promise<SecureHandshake> {
    const clock: Clock = this.clock;
    const busy = clock instanceof ManualClock ? (this.#busy ??= { hold: () => clock._hold(), release: () => clock._release() }) : null;
    busy?.hold();
    const p = (tlsEngine ??= import("../node/tls-engine.js")).then((m) => m.secureWithNodeTls(params, o, busy));
    if (busy !== null) {
      const release = () => busy.release();
      void p.then(release, release);
    }
    return p;
  }

  // ---- datagrams -----------------------------------------------------------------------

  /** Port 0: the next free ephemeral datagram port of `host`. */
  #bindDatagram(d: SimDatagram, host: string, port: number): number | Error {
    let p = port;
    if (p === 0) {
      let tries = 65536 - EPHEMERAL;
      do p = this.#ephemeral(host, this.#nextUdp);
      while (taken(this.#udp.get(p), host, datagramHost) && --tries > 0);
      if (tries === 0) return err(`bind EADDRINUSE ${host}`, "EADDRINUSE");
    } else if (taken(this.#udp.get(p), host, datagramHost)) {
      return err(`bind EADDRINUSE ${host}:${p}`, "EADDRINUSE");
    }
    const list = this.#udp.get(p);
    if (list === undefined) this.#udp.set(p, [d]);
    else list.push(d);
    this.#see(host);
    this.#log(`bind udp ${host}:${p}`);
    return p;
  }

  #unbindDatagram(d: SimDatagram): void {
    const port = d._local!.port;
    const list = this.#udp.get(port);
    if (list === undefined) return;
    const i = list.indexOf(d);
    if (i !== -1) list.splice(i, 1);
    if (list.length === 0) this.#udp.delete(port);
  }

  #delay(a: string, b: string): number {
    const l = this.#lat;
    const min = l[0];
    const max = l[1];
    const d = min === max ? min : this.#rng.range(min, max);
    const fp = this.#fabric._faults;
    if (fp === null) return d;
    const fs = fp.at(a, b);
    if (!fp.chance(fs.spike)) return d;
    const extra = fp.draw(fs.spikeLatency);
    this.#log(`fault spike ${a}>${b} ${Math.round(extra * 1e6) / 1e6}${fp.tag()}`);
    return d + extra;
  }

  #log(line: string): void {
    const obs = this.#observers;
    for (let i = 0; i < obs.length; i++) obs[i]!(line);
  }

  #streamOf(fn: string, skt: unknown): SimStream {
    const inner = (skt as { socket?: unknown } | null)?.socket; // a copas-wrapped socket
    const raw = !(skt instanceof Selectable) && inner instanceof Selectable ? inner : skt;
    const s = (raw as { _stream?: unknown } | null)?._stream;
    if (!(s instanceof SimStream) || s._fabric !== this.#fabric) {
      check.fail(fn, "skt", "a connected TCP socket of this SimNetwork", skt);
    }
    return s;
  }
}
