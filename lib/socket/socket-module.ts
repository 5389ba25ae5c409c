// The LuaSocket namespace (`socket.bind`, `socket.tcp`, `socket.select`, ...) over one Network.
// The real one is `socket` from "copas"; `copas/sim` makes one per SimNetwork.

import type { Clock } from "../common/clock.js";
import type { Network } from "./network.js";
import { Selectable, type Direction, type Watcher } from "./select.js";
import { TcpSocket } from "./tcp.js";
import { UdpSocket } from "./udp.js";
import * as check from "../common/check.js";

/**
 * The LuaSocket layer: the functions of LuaSocket's `socket` module that copas programs use.
 * They are plain functions (`this: void`): `const { bind } = socket` works, as in Lua.
 */
export interface SocketModule {
  /**
   * Seconds since the epoch, a float (on the network's clock).
   *
   * @lua `socket.gettime()` (LuaSocket)
   */
  gettime(this: void): number;
  /**
   * Resolves after `seconds` (on the network's clock); inside a copas thread use `copas.pause` instead.
   *
   * @returns a Promise of nothing
   * @lua `socket.sleep(time)` (LuaSocket), which blocks the process
   */
  sleep(this: void, seconds: number): Promise<void>;
  /**
   * A master TCP object (IPv4 or IPv6 as the first address it is given says).
   *
   * @lua `socket.tcp()` (LuaSocket)
   */
  tcp(this: void): TcpSocket;
  /**
   * A master TCP object for IPv4.
   *
   * @lua `socket.tcp4()` (LuaSocket)
   */
  tcp4(this: void): TcpSocket;
  /**
   * A master TCP object for IPv6.
   *
   * @lua `socket.tcp6()` (LuaSocket)
   */
  tcp6(this: void): TcpSocket;
  /**
   * An unbound UDP object (IPv4 or IPv6 as the first address it is given says).
   *
   * @lua `socket.udp()` (LuaSocket)
   */
  udp(this: void): UdpSocket;
  /**
   * An unbound UDP object for IPv4.
   *
   * @lua `socket.udp4()` (LuaSocket)
   */
  udp4(this: void): UdpSocket;
  /**
   * An unbound UDP object for IPv6.
   *
   * @lua `socket.udp6()` (LuaSocket)
   */
  udp6(this: void): UdpSocket;
  /**
   * A listening server on `host:port` (`"*"`: all interfaces; port 0: any free port), with
   * `backlog` (default 511).
   *
   * @returns a Promise of `[server, null]`, or `[null, err]` (`"address already in use"`, `"host not found"`, ...)
   * @throws TypeError for a host that is not a string or a port out of range
   * @lua `socket.bind(address, port [, backlog])` (LuaSocket), which blocks
   */
  bind(this: void, host: string, port: number | string, backlog?: number): Promise<[TcpSocket, null] | [null, string]>;
  /**
   * A connected client (LuaSocket's blocking shortcut, as a Promise), bound first to
   * `localHost:localPort` when given.
   *
   * @returns a Promise of `[client, null]`, or `[null, err]` (`"connection refused"`, `"timeout"`, `"host not found"`, ...)
   * @lua `socket.connect(address, port [, locaddr [, locport]])` (LuaSocket), which blocks
   */
  connect(
    this: void,
    host: string,
    port: number | string,
    localHost?: string,
    localPort?: number,
  ): Promise<[TcpSocket, null] | [null, string]>;
  /**
   * Waits until some of `recvt` are readable (data, EOF, an error or a pending accept) or some of
   * `sendt` writable, at most `timeout` seconds (`null` or negative: no limit). A copas thread
   * waiting on one of these sockets is told too.
   *
   * @returns a Promise of `[readable, writable, null]`, or `[[], [], "timeout"]`
   * @lua `socket.select(recvt, sendt [, timeout])` (LuaSocket), which blocks
   */
  select(
    this: void,
    recvt: readonly Selectable[] | null | undefined,
    sendt: readonly Selectable[] | null | undefined,
    timeout?: number | null,
  ): Promise<[Selectable[], Selectable[], string | null]>;
  /** @internal The Network this layer runs on. */
  readonly _network: Network;
}

function familyFor(host: string): 4 | 6 {
  return host.includes(":") ? 6 : 4;
}

function selectOn(
  clock: Clock,
  recvt: readonly Selectable[],
  sendt: readonly Selectable[],
  timeout: number,
): Promise<[Selectable[], Selectable[], string | null]> {
  const collect = (): [Selectable[], Selectable[]] => [recvt.filter((s) => s._readable()), sendt.filter((s) => s._writable())];
  const [r0, w0] = collect();
  if (r0.length > 0 || w0.length > 0 || timeout === 0) {
    return Promise.resolve([r0, w0, r0.length + w0.length > 0 ? null : "timeout"]);
  }
  return new Promise((resolve) => {
    let timer: unknown = null;
    // select's own watcher slots (_srw/_sww): a dispatcher watching the same sockets keeps its own.
    const watcher: Watcher = {
      ready(_s: Selectable, _dir: Direction) {
        finish();
      },
    };
    const finish = () => {
      if (timer !== null) clock.clearTimer(timer);
      for (const s of recvt) if (s._srw === watcher) s._srw = null;
      for (const s of sendt) if (s._sww === watcher) s._sww = null;
      const [r, w] = collect();
      resolve([r, w, r.length + w.length > 0 ? null : "timeout"]);
    };
    for (const s of recvt) s._srw = watcher;
    for (const s of sendt) s._sww = watcher;
    if (timeout !== Infinity) timer = clock.setTimer(timeout, finish);
  });
}

/** Makes the LuaSocket layer over `network`. */
export function makeSocketModule(network: Network): SocketModule {
  const clock = network.clock;
  const mod: SocketModule = {
    _network: network,
    gettime: () => clock.now(),
    sleep(seconds) {
      const t = check.number("sleep", "seconds", seconds);
      return new Promise((resolve) => {
        clock.setTimer(Math.max(0, t), resolve);
      });
    },
    tcp: () => new TcpSocket(network, 0),
    tcp4: () => new TcpSocket(network, 4),
    tcp6: () => new TcpSocket(network, 6),
    udp: () => new UdpSocket(network, 0),
    udp4: () => new UdpSocket(network, 4),
    udp6: () => new UdpSocket(network, 6),
    async bind(host, port, backlog) {
      check.string("socket.bind", "host", host);
      const p = check.port("socket.bind", "port", port);
      const b = check.optNumber("socket.bind", "backlog", backlog);
      const s = new TcpSocket(network, host === "*" ? 4 : familyFor(host));
      const [bound, berr] = s.bind(host, p);
      if (bound === null) {
        s.close();
        return [null, berr];
      }
      const [ok, err] = await s.listen(b ?? 511);
      if (ok === null) {
        s.close();
        return [null, err];
      }
      return [s, null];
    },
    connect(host, port, localHost, localPort) {
      check.string("socket.connect", "host", host);
      const p = check.port("socket.connect", "port", port);
      const s = new TcpSocket(network, 0);
      if (localHost !== undefined && localHost !== null) s.bind(localHost, localPort ?? 0);
      const [, err0] = s.connect(host, p);
      if (err0 !== "timeout") {
        s.close();
        return Promise.resolve([null, err0 ?? "closed"]);
      }
      return selectOn(clock, [], [s], Infinity).then(() => {
        const [ok, err] = s.connect(host, p);
        if (ok === null) {
          s.close();
          return [null, err] as [null, string];
        }
        return [s, null] as [TcpSocket, null];
      });
    },
    select(recvt, sendt, timeout) {
      const r = recvt ?? [];
      const w = sendt ?? [];
      if (!Array.isArray(r)) check.fail("socket.select", "recvt", "an array of sockets, null or undefined", recvt);
      if (!Array.isArray(w)) check.fail("socket.select", "sendt", "an array of sockets, null or undefined", sendt);
      for (const list of [r, w] as unknown[][]) {
        for (const s of list) if (!(s instanceof Selectable)) check.fail("socket.select", "recvt/sendt", "sockets", s);
      }
      const t = check.optNumber("socket.select", "timeout", timeout);
      return selectOn(clock, r, w, t === undefined || t < 0 ? Infinity : t);
    },
  };
  return mod;
}
