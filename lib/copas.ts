// The public dispatcher class: the heart (lib/core's Dispatcher) with its wings. The heart
// knows no wing; here they are attached, each made on first use, as Lua Copas loads its
// submodules when first required. The defaults (real clock, real network, stderr for the
// default error handler) are chosen here too, never inside the heart. TLS is the network's
// (`Network.secure`: node:tls on the real network and on copas/sim).

import * as check from "./common/check.js";
import type { Clock } from "./common/clock.js";
import { Dispatcher } from "./core/dispatcher.js";
import { kernelOf } from "./core/kernel.js";
import { makeHttpModule, type HttpModule } from "./clients/http.js";
import { ltn12, type Ltn12Module } from "./clients/ltn12.js";
import { FtpModule } from "./clients/ftp.js";
import { SmtpModule } from "./clients/smtp.js";
import { makeDebugModule, type DebugModule } from "./debug/debug.js";
import { realClock, realSocket } from "./defaults.js";
import { entropy } from "./node/entropy.js";
import { makeRealNetwork } from "./node/real-network.js";
import { makeSocketModule, type SocketModule } from "./socket/socket-module.js";
import { makeFutureModule, type FutureModule } from "./sync/future.js";
import { makeLockModule, type LockModule } from "./sync/lock.js";
import { makeQueueModule, type QueueModule } from "./sync/queue.js";
import { makeSemaphoreModule, type SemaphoreModule } from "./sync/semaphore.js";
import { makeTimerModule, type TimerModule } from "./sync/timer.js";

/** Options of `new Copas(options)`. */
export interface CopasOptions {
  /** Source of time. Default: the real clock (`performance` time on the epoch's scale). */
  clock?: Clock;
  /**
   * What sockets run on: an object with a LuaSocket layer at `.socket` (a `SimNetwork` from
   * "copas/sim"). Default: the real network (Node's `net`).
   */
  network?: {
    /** The network's LuaSocket layer (`net.socket`). */
    socket: SocketModule;
  };
  /** Record a trace of scheduler events, read with `gettrace()`. Default: false. */
  trace?: boolean;
  /**
   * Time limit of a TLS handshake (seconds; Infinity: none) where the socket has no copas
   * connect timeout. Default: 60 (`HANDSHAKE_TIMEOUT`). See `handshakeTimeout`.
   */
  handshakeTimeout?: number;
}

/** A network that reports its own events (deliveries, faults) into dispatchers' traces. */
interface Observable {
  _observe?(trace: (line: string) => void): void;
}

function isClock(c: unknown): c is Clock {
  if (typeof c !== "object" || c === null) return false;
  const k = c as Record<string, unknown>;
  return typeof k.now === "function" && typeof k.setTimer === "function" && typeof k.clearTimer === "function";
}

/**
 * A simulated network that seeds `random()` and runs its hosts here: start functions in a
 * group, crashes that remove the group's threads (copas/sim's HostRunner).
 */
interface World {
  random?(): number;
  _attach?(runner: {
    _spawn(group: string, name: string, fn: (...a: any[]) => unknown, ...args: unknown[]): unknown;
    _killgroup(group: string): unknown;
  }): void;
}

function writeStderr(text: string): void {
  process.stderr.write(text);
}

/**
 * A dispatcher. The default export of "copas" is one on the real clock and network; make more
 * (for instance on a simulated network) with `new Copas(options)`.
 *
 * ```ts
 * import copas, { socket } from "copas";
 * const [server] = await socket.bind("127.0.0.1", 20000);
 * copas.addserver(server!, function* (skt) {
 *   for (;;) {
 *     const [line] = yield* copas.receive(skt);
 *     if (line === null || line === "quit") break;
 *     yield* copas.send(skt, line + "\n");
 *   }
 * });
 * await copas.loop();
 * ```
 */
export class Copas extends Dispatcher {
  #lock: LockModule | null = null;
  #semaphore: SemaphoreModule | null = null;
  #queue: QueueModule | null = null;
  #future: FutureModule | null = null;
  #timer: TimerModule | null = null;
  #debug: DebugModule | null = null;
  #http: HttpModule | null = null;
  #smtp: SmtpModule | null = null;
  #ftp: FtpModule | null = null;

  /**
   * @throws TypeError for options that are not an object, a network without a LuaSocket layer, or a clock other than the network's
   * @lua (none: Lua has one dispatcher per process; `new Copas()` makes another, e.g. on a simulated network)
   */
  constructor(options: CopasOptions = {}) {
    if (!check.isTable(options)) check.fail("Copas", "options", "a table of options ({ clock?, network?, trace?, handshakeTimeout? })", options);
    const c: unknown = options.clock;
    if (c !== undefined && !isClock(c)) check.fail("Copas", "options.clock", "a clock (now, setTimer, clearTimer: a ManualClock, say)", c);
    const o = options as CopasOptions;
    let socket: SocketModule;
    let clock: Clock;
    if (o.network !== undefined) {
      const s = (o.network as { socket?: SocketModule } | null)?.socket;
      if (!s || typeof s !== "object" || !s._network) {
        check.fail("Copas", "options.network", "a network with a LuaSocket layer at .socket (a SimNetwork)", o.network);
      }
      if (o.clock !== undefined && o.clock !== s._network.clock) {
        throw new TypeError("Copas: bad argument 'options.clock' (expected the clock the network runs on, or nothing, got another clock)");
      }
      socket = s;
      clock = s._network.clock;
    } else if (o.clock === undefined || o.clock === realClock) {
      socket = realSocket;
      clock = realClock;
    } else {
      clock = o.clock;
      socket = makeSocketModule(makeRealNetwork(clock));
    }
    const world = o.network as World | undefined;
    const random = typeof world?.random === "function" ? () => world.random!() : entropy;
    super({ clock, socket, trace: !!o.trace, stderr: writeStderr, handshakeTimeout: o.handshakeTimeout, random });
    // A simulated network adds its own events (deliveries, faults) to the traces of its dispatchers.
    if (o.trace) (o.network as Observable | undefined)?._observe?.((line) => this.#traceLine(line));
    if (typeof world?._attach === "function") {
      const k = kernelOf(this);
      world._attach({
        _spawn: (group, name, fn, ...args) => k.spawn(group, name, fn, args),
        _killgroup: (group) => k.killGroup(group),
      });
    }
  }

  #traceLine(line: string): void {
    kernelOf(this).trace(line);
  }

  /**
   * Locks: `copas.lock.new(timeout?, notReentrant?)`.
   *
   * @lua `copas.lock` (loaded on first use, as Copas does)
   */
  get lock(): LockModule {
    return (this.#lock ??= makeLockModule(this));
  }

  /**
   * Semaphores: `copas.semaphore.new(max, start?, timeout?)`.
   *
   * @lua `copas.semaphore` (loaded on first use, as Copas does)
   */
  get semaphore(): SemaphoreModule {
    return (this.#semaphore ??= makeSemaphoreModule(this));
  }

  /**
   * Queues: `copas.queue.new({ name? })`.
   *
   * @lua `copas.queue` (loaded on first use, as Copas does)
   */
  get queue(): QueueModule {
    return (this.#queue ??= makeQueueModule(this));
  }

  /**
   * Futures: `copas.future.addthread(fn, ...args)`.
   *
   * @lua `copas.future` (loaded on first use, as Copas does)
   */
  get future(): FutureModule {
    return (this.#future ??= makeFutureModule(this));
  }

  /**
   * Timers: `copas.timer.new({ delay, callback, ... })`.
   *
   * @lua `copas.timer` (loaded on first use, as Copas does)
   */
  get timer(): TimerModule {
    return (this.#timer ??= makeTimerModule(this));
  }

  /**
   * LTN12 sources, sinks and pumps: `copas.ltn12.source.string(s)`.
   *
   * @lua `require "ltn12"` (LuaSocket)
   */
  get ltn12(): Ltn12Module {
    return ltn12;
  }

  /**
   * Debug logging: `copas.debug.start(logger?)`, `copas.debug.socket(skt)`.
   *
   * @lua `copas.debug`
   */
  get debug(): DebugModule {
    return (this.#debug ??= makeDebugModule(this));
  }

  /**
   * The HTTP client: `yield* copas.http.request(url)`.
   *
   * @lua `copas.http` (loaded on first use, as Copas does)
   */
  get http(): HttpModule {
    return (this.#http ??= makeHttpModule(this));
  }

  /**
   * The SMTP client: `yield* copas.smtp.send(mailt)`, `copas.smtp.message(mesgt)`.
   *
   * @lua `copas.smtp` (loaded on first use, as Copas does)
   */
  get smtp(): SmtpModule {
    return (this.#smtp ??= new SmtpModule(this));
  }

  /**
   * The FTP client: `yield* copas.ftp.get(url)`, `put(url, body)`, `command(cmdt)`.
   *
   * @lua `copas.ftp` (loaded on first use, as Copas does)
   */
  get ftp(): FtpModule {
    return (this.#ftp ??= new FtpModule(this));
  }
}

