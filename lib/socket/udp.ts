// LuaSocket's UDP object, non-blocking, over a Node datagram socket (node:dgram, or whatever
// datagram factory the Network provides). As with TCP, its methods never wait: receive gives a
// queued datagram or "timeout"; copas (or `socket.select`) does the waiting, told by the
// Selectable watchers when a datagram arrives.
//
// Invariants: datagram boundaries are kept (one receive, one datagram; the part past `size` is
// discarded, as LuaSocket); at most `recv-backlog` datagrams wait unread, later arrivals are
// dropped and counted (Node cannot stop reading a datagram socket, so this is the bound).

import { checkEncoding, checkLatin1, join, toBytes, type Encoding } from "./patterns.js";
import { badHost, errorString, type DatagramLike, type Network } from "./network.js";
import { Selectable } from "./select.js";
import * as check from "../common/check.js";
import type { Data, OkResult } from "../common/types.js";

/** Largest UDP payload over IPv4 (bytes). */
export const MAX_DATAGRAM = 65507;
/** Largest UDP payload over IPv6 (bytes). */
const MAX_DATAGRAM6 = 65527;
/** Default size of `receive`/`receivefrom` (LuaSocket's UDP_DATAGRAMSIZE). */
const DEFAULT_DATAGRAM_SIZE = 8192;
/** Default bound of unread datagrams; `setoption("recv-backlog", n)`. */
export const DEFAULT_RECV_BACKLOG = 256;

type Family = 4 | 6 | 0;

interface Datagram {
  data: Buffer;
  address: string;
  port: number;
}

/** A boolean option's value (LuaSocket takes nothing else). */
function bool(v: unknown): boolean {
  if (typeof v !== "boolean") check.fail("setoption", "value", "a boolean", v);
  return v;
}

function familyName(f: string | number | undefined): string {
  return f === "IPv6" || f === 6 ? "inet6" : "inet";
}

/**
 * A LuaSocket UDP object: `udp{unconnected}` or `udp{connected}`. Made by `socket.udp()`,
 * `udp4()` or `udp6()`.
 *
 * ```ts
 * const s = socket.udp();
 * await s.setsockname("127.0.0.1", 0);
 * copas.addserver(s, function* (skt) {
 *   const [data, ip, port] = yield* copas.receivefrom(skt);
 *   if (data !== null) copas.sendto(skt, data, ip, port);
 * });
 * ```
 */
export class UdpSocket extends Selectable {
  /** @internal Marks datagram sockets for copas's ops and wrapped sockets. */
  readonly _datagram = true;
  /** @internal */
  readonly _network: Network;
  #family: Family;
  #dg: DatagramLike | null = null;
  #bound = false;
  #peer: { address: string; port: number; family: string } | null = null;
  /** Unread datagrams: `#q[#head..]`. */
  #q: Datagram[] = [];
  #head = 0;
  #backlog = DEFAULT_RECV_BACKLOG;
  #dropped = 0;
  /** An error reported by the OS (ICMP "connection refused", ...), given once by receive. */
  #err: string | null = null;
  #pendingBind: ((r: OkResult) => void) | null = null;
  #closed = false;
  /** Datagrams handed to Node and not yet sent (Node sends asynchronously). */
  #sending = 0;
  #enc: Encoding = "latin1";
  #rx = 0;
  #tx = 0;
  #born: number;
  #opts: Record<string, unknown> = {
    broadcast: false,
    dontroute: false,
    reuseaddr: false,
    reuseport: false,
    "ipv6-v6only": false,
    "ip-multicast-ttl": 1,
    "ip-multicast-loop": true,
  };

  /** @internal use socket.udp() and friends. */
  constructor(network: Network, family: Family) {
    super();
    this._network = network;
    this.#family = family;
    this.#born = network.clock.now();
  }

  // ---- the datagram socket -------------------------------------------------------------

  /** The Node socket, made on first use (its family from `host` when the object has none). */
  #socket(host: string): DatagramLike {
    if (this.#dg !== null) return this.#dg;
    const network = this._network;
    if (network.datagram === undefined) throw new TypeError(`udp: the ${network.kind} network has no datagram sockets`);
    const six = this.#family === 6 || (this.#family === 0 && host.includes(":"));
    const dg = network.datagram({
      type: six ? "udp6" : "udp4",
      reuseAddr: !!(this.#opts.reuseaddr || this.#opts.reuseport),
      ipv6Only: !!this.#opts["ipv6-v6only"],
    });
    this.#family = six ? 6 : 4;
    dg.on("message", this.#onMessage);
    dg.on("error", this.#onError);
    dg.on("listening", this.#onListening);
    this.#dg = dg;
    return dg;
  }

  #onMessage = (msg: Buffer, rinfo: { address: string; port: number }): void => {
    if (this.#closed) return;
    if (this.#q.length - this.#head >= this.#backlog) {
      this.#dropped++;
      return;
    }
    this.#q.push({ data: msg, address: rinfo.address, port: rinfo.port });
    this.#rx += msg.length;
    this._fireRead();
  };

  #onError = (e: Error): void => {
    const msg = errorString(e);
    const p = this.#pendingBind;
    if (p !== null) {
      this.#pendingBind = null;
      p([null, msg]);
      return;
    }
    if (this.#closed) return;
    this.#err = msg;
    this._fireRead();
  };

  #onListening = (): void => {
    this.#bound = true;
    const dg = this.#dg!;
    try {
      if (this.#opts.broadcast) dg.setBroadcast(true);
      if (this.#opts["ip-multicast-ttl"] !== 1) dg.setMulticastTTL(this.#opts["ip-multicast-ttl"] as number);
      if (this.#opts["ip-multicast-loop"] !== true) dg.setMulticastLoopback(false);
    } catch (e) {
      this.#err = errorString(e);
    }
  };

  // ---- readiness (Selectable) ----------------------------------------------------------

  /** @internal */
  _readable(): boolean {
    return this.#closed || this.#err !== null || this.#q.length > this.#head;
  }

  /** @internal */
  _writable(): boolean {
    return true;
  }

  // ---- addresses -----------------------------------------------------------------------

  /**
   * Binds to `host:port` ("*": all interfaces; port 0: any free port). A Promise of
   * `[1, null]` or `[null, err]`: Node binds asynchronously.
   *
   * @lua `udp:setsockname(address, port)` (LuaSocket)
   */
  setsockname(host: string, port: number | string): Promise<OkResult> {
    check.string("setsockname", "host", host);
    const p = check.port("setsockname", "port", port);
    if (this.#closed) return Promise.resolve([null, "closed"]);
    if (this.#bound || this.#pendingBind !== null) return Promise.resolve([null, "already bound"]);
    if (badHost(host)) return Promise.resolve([null, "host not found"]);
    const dg = this.#socket(host);
    return new Promise((resolve) => {
      this.#pendingBind = resolve;
      dg.bind(p, host === "*" ? undefined : host, () => {
        if (this.#pendingBind !== resolve) return;
        this.#pendingBind = null;
        resolve([1, null]);
      });
    });
  }

  /**
   * Connects to `host:port` (only its datagrams are received, `send` goes there); `"*"`
   * disconnects. A Promise of `[1, null]` or `[null, err]`.
   *
   * @lua `udp:setpeername(address, port)` (LuaSocket); `setpeername("*")` disconnects
   */
  setpeername(host: string, port?: number | string | null): Promise<OkResult> {
    check.string("setpeername", "host", host);
    if (this.#closed) return Promise.resolve([null, "closed"]);
    if (host === "*") {
      if (this.#peer !== null) {
        this.#peer = null;
        this.#dg!.disconnect();
      }
      return Promise.resolve([1, null]);
    }
    const p = check.port("setpeername", "port", port);
    if (p === 0) return Promise.resolve([null, "invalid port"]);
    if (badHost(host)) return Promise.resolve([null, "host not found"]);
    const dg = this.#socket(host);
    if (this.#peer !== null) {
      this.#peer = null;
      dg.disconnect();
    }
    return new Promise((resolve) => {
      dg.connect(p, host, (err?: Error) => {
        if (err) return resolve([null, errorString(err)]);
        if (this.#closed) return resolve([null, "closed"]);
        const a = dg.remoteAddress();
        this.#peer = { address: a.address, port: a.port, family: familyName(a.family) };
        // Datagrams from others that arrived before the connect are not the peer's.
        const keep = this.#q.slice(this.#head).filter((d) => d.address === a.address && d.port === a.port);
        this.#q = keep;
        this.#head = 0;
        resolve([1, null]);
      });
    });
  }

  /**
   * `[ip, port, family]` of the local end (`0.0.0.0`, 0 while unbound), or `[null, err]`.
   *
   * @lua `udp:getsockname()` (LuaSocket)
   */
  getsockname(): [string, number, string] | [null, string] {
    if (this.#closed) return [null, "closed"];
    if (this.#bound && this.#dg !== null) {
      const a = this.#dg.address();
      return [a.address, a.port, familyName(a.family)];
    }
    return this.#family === 6 ? ["::", 0, "inet6"] : ["0.0.0.0", 0, "inet"];
  }

  /**
   * `[ip, port, family]` of the peer, or `[null, "not connected"]`.
   *
   * @lua `udp:getpeername()` (LuaSocket)
   */
  getpeername(): [string, number, string] | [null, string] {
    if (this.#closed) return [null, "closed"];
    const p = this.#peer;
    return p === null ? [null, "not connected"] : [p.address, p.port, p.family];
  }

  // ---- data ----------------------------------------------------------------------------

  #bytes(fn: string, data: unknown): Buffer {
    if (typeof data === "string") {
      if (this.#enc !== "utf8") checkLatin1(fn, data);
    } else if (!(data instanceof Uint8Array)) check.fail(fn, "data", "a string or a Uint8Array", data);
    return toBytes(data, this.#enc);
  }

  #tooBig(b: Buffer): boolean {
    return b.length > (this.#family === 6 ? MAX_DATAGRAM6 : MAX_DATAGRAM);
  }

  /**
   * Sends one datagram to the peer (connected objects only): `[bytes, null]`, or
   * `[null, err]` ("closed", "message too long"). Never waits.
   *
   * @lua `connected:send(datagram)` (LuaSocket)
   */
  send(data: Data, ..._ignored: unknown[]): [number, null] | [null, string] {
    const b = this.#bytes("send", data);
    if (this.#closed) return [null, "closed"];
    if (this.#peer === null) {
      throw new TypeError(`send: bad argument 'self' (expected a connected UDP object (udp{connected}), got udp{unconnected}; use sendto)`);
    }
    if (this.#tooBig(b)) return [null, "message too long"];
    this.#sending++;
    this.#dg!.send(b, this.#onSent);
    this.#tx += b.length;
    return [b.length, null];
  }

  /**
   * Sends one datagram to `ip:port` (unconnected objects only). Never waits.
   *
   * @returns `[bytes, null]`, or `[null, err]` (`"closed"`, `"message too long"`, ...)
   * @lua `unconnected:sendto(datagram, ip, port)` (LuaSocket)
   */
  sendto(data: Data, ip: string, port: number | string): [number, null] | [null, string] {
    const b = this.#bytes("sendto", data);
    check.string("sendto", "ip", ip);
    const p = check.port("sendto", "port", port);
    if (this.#closed) return [null, "closed"];
    if (this.#peer !== null) {
      throw new TypeError(`sendto: bad argument 'self' (expected an unconnected UDP object (udp{unconnected}), got udp{connected}; use send)`);
    }
    if (badHost(ip)) return [null, "host not found"];
    const dg = this.#socket(ip);
    if (this.#tooBig(b)) return [null, "message too long"];
    this.#sending++;
    dg.send(b, p, ip, this.#onSent);
    this.#tx += b.length;
    return [b.length, null];
  }

  // A failed send cannot be reported by the call (Node sends later); the next receive says it.
  // After close() the last send's callback releases the Node socket.
  #onSent = (err: Error | null): void => {
    if (--this.#sending === 0 && this.#closed) this.#release();
    if (err && !this.#closed) {
      this.#err = errorString(err);
      this._fireRead();
    }
  };

  #next(fn: string, size: number | null | undefined): Datagram | string {
    if (size !== undefined && size !== null && !(typeof size === "number" && size >= 0 && size !== Infinity)) {
      check.fail(fn, "size", "a finite number >= 0 (bytes), null or undefined", size);
    }
    const n = size ?? DEFAULT_DATAGRAM_SIZE;
    if (this.#closed) return "closed";
    if (this.#q.length === this.#head) {
      const e = this.#err;
      if (e === null) return "timeout";
      this.#err = null;
      return e;
    }
    const d = this.#q[this.#head]!;
    this.#q[this.#head++] = undefined as unknown as Datagram;
    if (this.#head === this.#q.length) {
      this.#q.length = 0;
      this.#head = 0;
    } else if (this.#head > 64 && this.#head * 2 > this.#q.length) {
      this.#q = this.#q.slice(this.#head);
      this.#head = 0;
    }
    if (d.data.length > n) d.data = d.data.subarray(0, Math.max(0, Math.trunc(n)));
    return d;
  }

  /**
   * The next datagram (at most `size` bytes, default 8192; the rest of it is discarded):
   * `[data, null]`, or `[null, err]` with "timeout" when none waits, or "closed".
   *
   * @lua `udp:receive([size])` (LuaSocket)
   */
  receive(size?: number | null): [Data, null] | [null, string] {
    const d = this.#next("receive", size);
    if (typeof d === "string") return [null, d];
    return [join(null, d.data, this.#enc), null];
  }

  /**
   * As `receive`, with the sender: `[data, ip, port]` or `[null, err, null]`.
   *
   * @lua `unconnected:receivefrom([size])` (LuaSocket)
   */
  receivefrom(size?: number | null): [Data, string, number] | [null, string, null] {
    const d = this.#next("receivefrom", size);
    if (typeof d === "string") return [null, d, null];
    return [join(null, d.data, this.#enc), d.address, d.port];
  }

  /**
   * Closes the object; waiting receivers see "closed". Datagrams that `send`/`sendto` accepted
   * still go (LuaSocket's sendto is synchronous; Node's is not): the Node socket is released
   * once the last of them was handed to the OS. Always `1`.
   *
   * @lua `udp:close()` (LuaSocket)
   */
  close(): 1 {
    if (this.#closed) return 1;
    this.#closed = true;
    this.#q = [];
    this.#head = 0;
    if (this.#sending === 0) this.#release();
    const p = this.#pendingBind;
    if (p !== null) {
      this.#pendingBind = null;
      p([null, "closed"]);
    }
    this._fireRead();
    this._fireWrite();
    return 1;
  }

  #release(): void {
    const dg = this.#dg;
    if (dg !== null) {
      try {
        dg.close();
      } catch {
        // already closed by Node (after an error)
      }
    }
  }

  // ---- settings ------------------------------------------------------------------------

  /**
   * Options: "broadcast", "dontroute", "reuseaddr", "reuseport", "ipv6-v6only" (before first
   * use), "ip-multicast-ttl", "ip-multicast-loop", "ip-add-membership" and
   * "ip-drop-membership" (`{ multiaddr, interface }`), and "recv-backlog": the bound of unread
   * datagrams (arrivals past it are dropped and counted by `getstats`).
   *
   * @lua `udp:setoption(option [, value])` (LuaSocket)
   */
  setoption(name: string, value?: unknown): OkResult {
    check.string("setoption", "name", name);
    const dg = this.#bound ? this.#dg : null;
    try {
      switch (name) {
        case "broadcast":
          this.#opts[name] = bool(value);
          dg?.setBroadcast(value as boolean);
          return [1, null];
        case "dontroute":
        case "reuseaddr":
        case "reuseport":
        case "ipv6-v6only":
          this.#opts[name] = bool(value);
          return [1, null];
        case "ip-multicast-ttl":
          if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 255) {
            check.fail("setoption", "value", "an integer from 0 to 255", value);
          }
          this.#opts[name] = value;
          dg?.setMulticastTTL(value);
          return [1, null];
        case "ip-multicast-loop":
          this.#opts[name] = bool(value);
          dg?.setMulticastLoopback(value as boolean);
          return [1, null];
        case "ip-add-membership":
        case "ip-drop-membership": {
          const m = value as { multiaddr?: unknown; interface?: unknown } | null;
          if (typeof m !== "object" || m === null || typeof m.multiaddr !== "string") {
            check.fail("setoption", "value", "a table { multiaddr, interface }", value);
          }
          if (dg === null) return [null, "not bound"];
          const iface = typeof m.interface === "string" && m.interface !== "*" ? m.interface : undefined;
          if (name === "ip-add-membership") dg.addMembership(m.multiaddr, iface);
          else dg.dropMembership(m.multiaddr, iface);
          return [1, null];
        }
        case "recv-backlog":
          if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
            check.fail("setoption", "value", "an integer from 1 to 2147483647 (datagrams)", value);
          }
          this.#backlog = value;
          return [1, null];
        default:
          throw new TypeError(`setoption: bad argument 'name' (unsupported option '${name}')`);
      }
    } catch (e) {
      if (e instanceof TypeError) throw e;
      return [null, errorString(e)];
    }
  }

  /**
   * `[value, null]` for an option `setoption` takes.
   *
   * @lua `udp:getoption(option)` (LuaSocket)
   */
  getoption(name: string): [unknown, null] | [null, string] {
    check.string("getoption", "name", name);
    if (name === "recv-backlog") return [this.#backlog, null];
    if (name in this.#opts) return [this.#opts[name], null];
    throw new TypeError(`getoption: bad argument 'name' (unsupported option '${name}')`);
  }

  /**
   * How received data is given: "latin1" (default, one char per byte), "utf8" or "buffer".
   *
   * @returns `1`
   * @throws TypeError for any other encoding
   * @lua (none: Lua strings are bytes; a copas addition)
   */
  setencoding(enc: Encoding): 1 {
    this.#enc = checkEncoding(enc);
    return 1;
  }

  /**
   * `[bytesReceived, bytesSent, ageSeconds, datagramsDropped]`.
   *
   * @lua `udp:getstats()` (LuaSocket)
   */
  getstats(): [number, number, number, number] {
    return [this.#rx, this.#tx, this._network.clock.now() - this.#born, this.#dropped];
  }

  /**
   * Resets the statistics; gives `1`.
   *
   * @lua `udp:setstats(received, sent, age)` (LuaSocket)
   */
  setstats(received?: number, sent?: number, age?: number): 1 {
    const rx = check.optNumber("setstats", "received", received);
    const tx = check.optNumber("setstats", "sent", sent);
    const ag = check.optNumber("setstats", "age", age);
    if (rx !== undefined) this.#rx = rx;
    if (tx !== undefined) this.#tx = tx;
    if (ag !== undefined) this.#born = this._network.clock.now() - ag;
    return 1;
  }

  /**
   * True when datagrams wait unread.
   *
   * @lua `udp:dirty()` (LuaSocket)
   */
  dirty(): boolean {
    return this.#q.length > this.#head;
  }

  /**
   * `udp{unconnected}`, `udp{connected}` (or `udp{closed}` once closed).
   *
   * @lua `tostring(udp)` (LuaSocket)
   */
  override toString(): string {
    if (this.#closed) return "udp{closed}";
    return this.#peer === null ? "udp{unconnected}" : "udp{connected}";
  }
}
