// A simulated datagram socket, shaped like the part of dgram.Socket that UdpSocket uses
// (DatagramLike), so LuaSocket's UDP object runs on it unchanged. As with SimStream, events are
// emitted synchronously, from the clock's timers (arrivals) or from the calls that cause them
// (bind, connect); only a failed send reports on a 0-second timer, as Node does it later too.
//
// Each datagram is its own delivery: its latency is drawn from the network's seed when it is
// sent, so datagrams overtake one another only when the draws say so. On arrival it goes to the
// socket bound at its destination then, unless a partition lies between the two hosts (it is
// dropped: UDP promises nothing, so nothing is held for a heal), nothing is bound there (dropped;
// a connected sender learns "connection refused" one latency later, as from an ICMP answer) or
// that socket is connected to someone else (dropped). Boundaries are kept: one send, one message.

import type { DatagramLike } from "../socket/network.js";
import { secs, type FaultPlan } from "./faults.js";

/** Where a datagram socket's address comes from and goes to. */
interface Endpoint {
  address: string;
  port: number;
  family: string;
}

/** What a datagram socket needs from its network. */
export interface DatagramFabric {
  readonly clock: { now(): number; setTimer(s: number, fn: () => void): unknown };
  /** Seconds until a datagram sent now from host `a` to host `b` arrives (fixed, or drawn from the seed). */
  _delay(a: string, b: string): number;
  /** True when a partition separates hosts `a` and `b`, or one of them is down. */
  _blocked(a: string, b: string): boolean;
  _isDown(host: string): boolean;
  /** Seeded faults, when some per-delivery fault is on. */
  _faults: FaultPlan | null;
  _tracing: boolean;
  _log(line: string): void;
  /** Registers `d` at `host:port` (0: an ephemeral port): the port, or an error to emit. */
  _bindDatagram(d: SimDatagram, host: string, port: number): number | Error;
  _unbindDatagram(d: SimDatagram): void;
  /** The socket bound at `host:port` (or at the wildcard on `port`). */
  _findDatagram(host: string, port: number): SimDatagram | undefined;
}

type Fn = (...a: any[]) => void;

function codeError(message: string, code: string): Error & { code: string } {
  return Object.assign(new Error(message), { code });
}

/** "localhost" is "127.0.0.1"; any other host is its string. */
function canonical(h: string): string {
  return h === "localhost" ? "127.0.0.1" : h;
}

function wild(h: string): boolean {
  return h === "0.0.0.0" || h === "::";
}

/** A host a datagram can be addressed to (not empty, no spaces, not a wildcard). */
function addressable(h: string): boolean {
  return h !== "" && !/\s/.test(h) && !wild(h);
}

/** Senders a wildcard-bound socket remembers the addressed host of (the oldest are forgotten). */
const VIA_MAX = 1024;

function familyOf(h: string): string {
  return h.includes(":") ? "IPv6" : "IPv4";
}

/**
 * @internal a datagram socket of a SimNetwork (made by its `datagram()`).
 *
 * Hosts: bound with `bind(port, host)`, the socket is on that host. Bound to "0.0.0.0"/"::" (or
 * no host) it is on every host, and it answers a sender from the host that sender last
 * addressed (as a wildcard TCP listener accepts on the host dialled); to anyone else it sends
 * from "127.0.0.1" ("::1" for udp6). A socket that connects or sends before it is bound is
 * bound to an ephemeral port of "127.0.0.1" ("::1" for udp6) first, as the OS binds it
 * implicitly. Ports are exclusive per host and apart from TCP's; `reuseAddr` is not simulated,
 * nor is multicast (membership calls throw). The network's chunkSize is TCP's only: a datagram
 * is never split.
 */
export class SimDatagram implements DatagramLike {
  readonly _fabric: DatagramFabric;
  readonly #six: boolean;
  /** The bound address (null: not bound yet). */
  #local: Endpoint | null = null;
  #peer: Endpoint | null = null;
  #closed = false;
  /** Wildcard-bound only: "host port" of a sender → the host it addressed last. */
  #via: Map<string, string> | null = null;
  #onMessage: Fn[] = [];
  #onError: Fn[] = [];
  #onClose: Fn[] = [];
  #onListening: Fn[] = [];

  constructor(fabric: DatagramFabric, type: "udp4" | "udp6") {
    this._fabric = fabric;
    this.#six = type === "udp6";
  }

  /** The host a datagram to `host:port` is sent from. */
  #source(host: string, port: number): string {
    const a = this.#local!.address;
    if (!wild(a)) return a;
    return this.#via?.get(`${host} ${port}`) ?? (this.#six ? "::1" : "127.0.0.1");
  }

  /** Wildcard-bound: answers to `from:port` leave from `to`, the host it addressed. */
  #remember(from: string, port: number, to: string): void {
    const via = (this.#via ??= new Map());
    const k = `${from} ${port}`;
    if (via.get(k) === to) return;
    via.delete(k);
    via.set(k, to);
    if (via.size > VIA_MAX) via.delete(via.keys().next().value);
  }

  /** @internal the bound endpoint (null while unbound). */
  get _local(): Endpoint | null {
    return this.#local;
  }

  on(event: string, fn: Fn): this {
    switch (event) {
      case "message":
        this.#onMessage.push(fn);
        break;
      case "error":
        this.#onError.push(fn);
        break;
      case "close":
        this.#onClose.push(fn);
        break;
      case "listening":
        this.#onListening.push(fn);
        break;
      default:
        break;
    }
    return this;
  }

  #emit(list: Fn[], ...args: unknown[]): void {
    for (const f of list.slice()) f(...args);
  }

  #running(fn: string): void {
    if (this.#closed) throw codeError(`${fn}: Not running`, "ERR_SOCKET_DGRAM_NOT_RUNNING");
  }

  /** Binds at once: "listening" then `cb`, or "error" (EADDRINUSE, ENOTFOUND). */
  bind(port: number, address: string | undefined, cb: () => void): this {
    this.#running("bind");
    if (this.#local !== null) throw codeError("Socket is already bound", "ERR_SOCKET_ALREADY_BOUND");
    const host = address === undefined ? (this.#six ? "::" : "0.0.0.0") : canonical(address);
    if (host === "" || /\s/.test(host)) {
      this.#emit(this.#onError, codeError(`getaddrinfo ENOTFOUND ${host}`, "ENOTFOUND"));
      return this;
    }
    const p = this._fabric._bindDatagram(this, host, port);
    if (typeof p !== "number") {
      this.#emit(this.#onError, p);
      return this;
    }
    this.#local = { address: host, port: p, family: familyOf(host) };
    this.#emit(this.#onListening);
    cb();
    return this;
  }

  /** The implicit bind of a socket that connects or sends unbound. */
  #autobind(): void {
    if (this.#local === null) this.bind(0, this.#six ? "::1" : "127.0.0.1", () => {});
  }

  /** Connects at once (`cb()`), or `cb(err)` for a host that cannot be addressed. */
  connect(port: number, address: string, cb: (err?: Error) => void): this {
    this.#running("connect");
    if (this.#peer !== null) throw codeError("Already connected", "ERR_SOCKET_DGRAM_IS_CONNECTED");
    const host = canonical(address);
    if (!addressable(host)) {
      cb(codeError(`getaddrinfo ENOTFOUND ${host}`, "ENOTFOUND"));
      return this;
    }
    this.#autobind();
    this.#peer = { address: host, port, family: familyOf(host) };
    cb();
    return this;
  }

  disconnect(): this {
    this.#running("disconnect");
    if (this.#peer === null) throw codeError("Not connected", "ERR_SOCKET_DGRAM_NOT_CONNECTED");
    this.#peer = null;
    return this;
  }

  send(msg: Uint8Array, cb: (err: Error | null) => void): this;
  send(msg: Uint8Array, port: number, address: string, cb: (err: Error | null) => void): this;
  send(msg: Uint8Array, a: unknown, b?: unknown, c?: unknown): this {
    this.#running("send");
    let port: number;
    let host: string;
    let cb: (err: Error | null) => void;
    if (typeof a === "function") {
      if (this.#peer === null) throw codeError("Not connected", "ERR_SOCKET_DGRAM_NOT_CONNECTED");
      port = this.#peer.port;
      host = this.#peer.address;
      cb = a as typeof cb;
    } else {
      if (this.#peer !== null) throw codeError("Already connected", "ERR_SOCKET_DGRAM_IS_CONNECTED");
      port = a as number;
      host = canonical(b as string);
      cb = c as typeof cb;
    }
    const f = this._fabric;
    if (!addressable(host)) {
      f.clock.setTimer(0, () => cb(codeError(`getaddrinfo ENOTFOUND ${host}`, "ENOTFOUND")));
      return this;
    }
    this.#autobind();
    // Copied: the caller may reuse its buffer, the datagram is on the wire already.
    const data = Buffer.from(msg);
    const from = this.#source(host, port);
    const fromPort = this.#local!.port;
    const fp = f._faults;
    if (fp !== null) this.#faulty(fp, data, from, fromPort, host, port);
    else f.clock.setTimer(f._delay(from, host), () => this.#arrive(data, from, fromPort, host, port));
    cb(null);
    return this;
  }

  /** Sends with the seeded UDP faults: lost, held back (reordered), or sent twice. */
  #faulty(fp: FaultPlan, data: Buffer, from: string, fromPort: number, host: string, port: number): void {
    const f = this._fabric;
    const fs = fp.at(from, host);
    const name = `${from}:${fromPort}>${host}:${port}`;
    if (fp.chance(fs.loss)) {
      if (f._tracing) f._log(`fault loss udp ${name} ${data.length} bytes${fp.tag()}`);
      return;
    }
    let delay = f._delay(from, host);
    if (fp.chance(fs.reorder)) {
      const extra = fp.draw(fs.reorderDelay);
      delay += extra;
      if (f._tracing) f._log(`fault reorder udp ${name} ${data.length} bytes ${secs(extra)}${fp.tag()}`);
    }
    f.clock.setTimer(delay, () => this.#arrive(data, from, fromPort, host, port));
    if (fp.chance(fs.duplicate)) {
      if (f._tracing) f._log(`fault duplicate udp ${name} ${data.length} bytes${fp.tag()}`);
      f.clock.setTimer(f._delay(from, host), () => this.#arrive(data, from, fromPort, host, port));
    }
  }

  /** A datagram of this socket reaches its destination host. */
  #arrive(data: Buffer, from: string, fromPort: number, to: string, port: number): void {
    const f = this._fabric;
    const name = `${from}:${fromPort}>${to}:${port}`;
    if (f._blocked(from, to)) {
      if (f._tracing) f._log(`drop udp ${name} ${data.length} bytes ${f._isDown(to) || f._isDown(from) ? "host down" : "partition"}`);
      return;
    }
    const d = port === 0 ? undefined : f._findDatagram(to, port);
    if (d === undefined) {
      if (f._tracing) f._log(`drop udp ${name} ${data.length} bytes nothing bound`);
      this.#refused(to, port);
      return;
    }
    const peer = d.#peer;
    if (peer !== null && (peer.address !== from || peer.port !== fromPort)) {
      if (f._tracing) f._log(`drop udp ${name} ${data.length} bytes not the peer`);
      return;
    }
    if (f._tracing) f._log(`deliver udp ${name} ${data.length} bytes`);
    if (wild(d.#local!.address)) d.#remember(from, fromPort, to);
    d.#emit(d.#onMessage, data, { address: from, port: fromPort, family: familyOf(from) });
  }

  /**
   * Nothing was bound where a datagram went: a connected sender (still connected there) gets
   * ECONNREFUSED one latency later, as the OS reports the ICMP answer on the next receive.
   */
  #refused(to: string, port: number): void {
    const p = this.#peer;
    if (p === null || p.address !== to || p.port !== port) return;
    const f = this._fabric;
    f.clock.setTimer(f._delay(to, this.#local!.address), () => {
      const q = this.#peer;
      if (this.#closed || q === null || q.address !== to || q.port !== port) return;
      this.#emit(this.#onError, codeError(`recvmsg ECONNREFUSED ${to}:${port}`, "ECONNREFUSED"));
    });
  }

  /** Unbinds at once; datagrams already sent still arrive. */
  close(): this {
    this.#running("close");
    this.#closed = true;
    if (this.#local !== null) this._fabric._unbindDatagram(this);
    this.#emit(this.#onClose);
    return this;
  }

  /** @internal its host crashed: unbound at once, and whoever holds it sees "closed". */
  _crash(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#local !== null) this._fabric._unbindDatagram(this);
    this.#emit(this.#onError, codeError("socket closed: its host crashed", "ECONNRESET"));
    this.#emit(this.#onClose);
  }

  address(): Endpoint {
    if (this.#local === null) throw codeError("getsockname EBADF", "EBADF");
    return { ...this.#local };
  }

  remoteAddress(): Endpoint {
    if (this.#peer === null) throw codeError("Not connected", "ERR_SOCKET_DGRAM_NOT_CONNECTED");
    return { ...this.#peer };
  }

  setBroadcast(): this {
    return this;
  }

  setMulticastTTL(): this {
    return this;
  }

  setMulticastLoopback(): this {
    return this;
  }

  addMembership(): never {
    throw new Error("multicast is not simulated");
  }

  dropMembership(): never {
    throw new Error("multicast is not simulated");
  }
}
