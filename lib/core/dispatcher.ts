// The dispatcher: the whole life of a copas thread in one place.
//
//   accept   a server socket is readable: take one client, start its handler thread at once
//   start    addthread: the thread is queued and runs on the next runnable phase
//   resume   drive the thread's generators (trampoline.ts) until it waits, ends or fails
//   wait     an op parks the thread in exactly one place: a socket's read or write queue,
//            the timer heap, the lethargy set, a Promise, or the runnable list
//   wake     socket readiness (select.ts watchers), a due timer, wakeup(), a settled Promise
//   time out a due timeout entry runs its callback; a socket op's callback takes the thread
//            out of the socket's queue (no stale waiter, unlike upstream #208) and queues it
//   close    the thread ends: error handler on failure, autoclose its client socket
//
// One step (Copas 4.11's order): wait for readiness (never past the next timer, not at all when
// a thread is runnable), then run the threads of readable sockets (and accepts), of writable
// sockets, then move due timers, then run the threads that were runnable when that phase began.
// A thread made runnable inside the runnable phase runs in the next step.
//
// Cost of a step: the ready events and the threads it runs. Idle sockets are not visited
// (watchers are one-shot callbacks), timers sit in a binary heap, and nothing polls.

import type { Clock } from "../common/clock.js";
import { realClock } from "../node/real-clock.js";
import { TimerHeap } from "../common/heap.js";
import type { Network } from "../socket/network.js";
import { makeRealNetwork } from "../node/real-network.js";
import { READ, Selectable, WRITE, type Direction } from "../socket/select.js";
import { makeSocketModule, type SocketModule } from "../socket/socket-module.js";
import {
  AWAIT,
  DONE,
  drive,
  NEXT,
  RETURN,
  State,
  SUSPEND,
  THROW,
  Thread,
  type TimerEntry,
} from "./trampoline.js";
import * as check from "../common/check.js";
import { isIterator, isThenable } from "../common/yieldable.js";
import * as ops from "./ops.js";
import { dohandshake, tlsHooks } from "../node/tls.js";
import type { TlsSocket } from "../node/tls-socket.js";
import { CopasSocket, unwrap, type TlsHooks } from "./wrap.js";
import type { Data, OkResult, Op, Pattern, ReceiveResult, SendResult, ThreadFn } from "../common/types.js";
import { makeLockModule, type LockModule } from "../sync/lock.js";
import { makeSemaphoreModule, Semaphore, type SemaphoreModule } from "../sync/semaphore.js";
import { makeQueueModule, type QueueModule } from "../sync/queue.js";
import { makeFutureModule, type FutureModule } from "../sync/future.js";
import { makeTimerModule, type TimerModule } from "../sync/timer.js";
import { ltn12, type Ltn12Module } from "../clients/ltn12.js";
import { DEBUG_ORIGINAL, makeDebugModule, type DebugHook, type DebugModule } from "../debug/debug.js";
import { makeHttpModule, type HttpModule } from "../clients/http.js";
import { SmtpModule } from "../clients/smtp.js";
import { FtpModule } from "../clients/ftp.js";

/** `fn(err, thread, socket)`: told of an error that ended a thread. */
export type ErrorHandler = (err: unknown, thread: Thread | null, skt: unknown) => unknown;

/** A socket copas can serve: a LuaSocket object, or one wrapped by `copas.wrap`. */
export type AnySocket = Selectable | CopasSocket;

/** Options of `new Copas(options)`. */
export interface CopasOptions {
  /** Source of time. Default: the real clock (`performance` time on the epoch's scale). */
  clock?: Clock;
  /**
   * What sockets run on: an object with a LuaSocket layer at `.socket` (a `SimNetwork` from
   * "copas/sim"). Default: the real network (Node's `net`).
   */
  network?: { socket: SocketModule };
  /** Record a trace of scheduler events, read with `gettrace()`. Default: false. */
  trace?: boolean;
}

/** What `status()` reports. */
export interface CopasStatus {
  running: boolean;
  /** Sockets waited on for reading (servers included). */
  read: number;
  /** Sockets waited on for writing. */
  write: number;
  /** Threads runnable now. */
  active: number;
  /** Threads sleeping with a wake-up time. */
  timer: number;
  /** Threads paused until woken (pauseforever). */
  inactive: number;
  /** Timeouts set. */
  timeout: number;
  [stat: string]: number | boolean;
}

/** Ops in a row that complete without waiting before a thread is made to `pause(0)`. */
export const FAIRNESS_INTERVAL = 10;

/** Steps run back to back (events always ready) before the event loop is let poll once. */
const SPIN_LIMIT = 64;

function* awaitOp<T>(p: PromiseLike<T> | T): Op<Awaited<T>> {
  // As JavaScript's `await`: a value that is not a thenable is the result as it is.
  if (!isThenable(p)) return p as Awaited<T>;
  return (yield p) as Awaited<T>;
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
export class Copas {
  /** The LuaSocket layer this dispatcher's sockets come from. */
  readonly socket: SocketModule;

  #clock: Clock;
  #network: Network;
  #current: Thread | null = null;
  #inStep = false;
  #running = false;
  #autoclose = true;

  #runnable: Thread[] = [];
  #runnableSpare: Thread[] = [];
  #readyR: Selectable[] = [];
  #readyRSpare: Selectable[] = [];
  #readyW: Selectable[] = [];
  #readyWSpare: Selectable[] = [];

  /** Sockets with threads waiting to read, and servers. */
  #reading = new Set<Selectable>();
  /** Sockets with threads waiting to write or connect. */
  #writing = new Set<Selectable>();
  #servers = new Set<Selectable>();

  #timers = new TimerHeap<TimerEntry>();
  #sleepers = 0;
  #timeouts = 0;
  #lethargy = new Set<WeakRef<Thread>>();
  /** Threads waiting on a Promise. */
  #awaiting = new Set<Thread>();

  #wake: (() => void) | null = null;
  #waitTimer: unknown = null;
  /** The real-clock loop is parked waiting for an event or its timer (see #pump). */
  #parked = false;
  #unparkQueued = false;
  /** Inside #park's call to the clock: wake-ups are recorded, not acted on (no recursion). */
  #parkSync = false;
  #parkWoken = false;
  #loopEnd: ((err: unknown) => void) | null = null;
  #loopTimeout: number | undefined = undefined;
  #wakeQueued = false;
  /** Steps run back to back without letting the event loop poll. */
  #spins = 0;
  /** The clock when the current step first needed it (-1: not read yet this step). */
  #stepTime = 0;
  /** Real clock: wake-ups go through setImmediate, so one step serves every event of a poll. */
  #batchWakes: boolean;

  #defaultErrorHandler: ErrorHandler;
  #coreTimer = new Thread("copas_core_timer");
  /**
   * A socket op's timeout fired: leave the socket's queue (so the socket can be used again,
   * unlike Copas #208) and resume the op, which then reports "timeout".
   */
  #socketTimeout = (t: Thread): void => {
    t._timedOut = true;
    this.#detach(t);
    this.#makeRunnable(t, "timeout");
  };

  #exiting = false;
  /** Destroyed by exit(): its waiters are the threads in waitforexit() (as Copas 4.11). */
  #exitSema = new Semaphore(this, 1, 0, Infinity);

  #stats: Record<string, number> | null = null;
  #statsOn = false;
  #minEver: number | null = null;
  #maxEver: number | null = null;
  #trace: string[] | null;
  #lock: LockModule | null = null;
  #semaphore: SemaphoreModule | null = null;
  #queue: QueueModule | null = null;
  #future: FutureModule | null = null;
  #timer: TimerModule | null = null;
  #debugModule: DebugModule | null = null;
  #http: HttpModule | null = null;
  #smtp: SmtpModule | null = null;
  #ftp: FtpModule | null = null;
  /** Set by `debug.start()` (lib/debug.ts): told of resumes, yields and exits. */
  #debug: DebugHook | null = null;
  /** What made each runnable thread runnable, for the trace (null when not tracing). */
  #why: WeakMap<Thread, string> | null;
  #traceIds: WeakMap<Thread, number> | null = null;
  #traceSeq = 0;

  constructor(options: CopasOptions = {}) {
    if (typeof options !== "object" || options === null) check.fail("Copas", "options", "an object", options);
    if (options.network !== undefined) {
      const s = (options.network as { socket?: SocketModule }).socket;
      if (!s || typeof s !== "object" || !s._network) {
        check.fail("Copas", "options.network", "a network with a LuaSocket layer at .socket (a SimNetwork)", options.network);
      }
      this.socket = s;
      this.#network = s._network;
      if (options.clock !== undefined && options.clock !== s._network.clock) {
        throw new TypeError("Copas: bad argument 'options.clock' (expected the clock the network runs on, or nothing, got another clock)");
      }
      this.#clock = s._network.clock;
    } else {
      this.#clock = options.clock ?? realClock;
      this.#network = this.#clock === realClock ? realNetwork : makeRealNetwork(this.#clock);
      this.socket = this.#clock === realClock ? realSocket : makeSocketModule(this.#network);
    }
    this.#trace = options.trace ? [] : null;
    this.#batchWakes = this.#clock === realClock;
    this.#why = options.trace ? new WeakMap() : null;
    // A simulated network adds its own events (deliveries, faults) to the traces of its dispatchers.
    if (options.trace) (options.network as { _observe?(c: Copas): void } | undefined)?._observe?.(this);
    this.#defaultErrorHandler = (err, t, skt) => {
      process.stderr.write(this.gettraceback(err, t, skt) + "\n");
    };
  }

  // ======================================================================================
  // Properties
  // ======================================================================================

  /** True while `loop()` runs. */
  get running(): boolean {
    return this.#running;
  }

  /** Close a handler's client socket when the handler ends. Default: true. */
  get autoclose(): boolean {
    return this.#autoclose;
  }

  set autoclose(v: boolean) {
    this.#autoclose = !!v;
  }

  // Coordination submodules, bound to this dispatcher, made on first use.

  /** Locks: `copas.lock.new(timeout?, notReentrant?)`. */
  get lock(): LockModule {
    return (this.#lock ??= makeLockModule(this));
  }

  /** Semaphores: `copas.semaphore.new(max, start?, timeout?)`. */
  get semaphore(): SemaphoreModule {
    return (this.#semaphore ??= makeSemaphoreModule(this));
  }

  /** Queues: `copas.queue.new({ name? })`. */
  get queue(): QueueModule {
    return (this.#queue ??= makeQueueModule(this));
  }

  /** Futures: `copas.future.addthread(fn, ...args)`. */
  get future(): FutureModule {
    return (this.#future ??= makeFutureModule(this));
  }

  /** Timers: `copas.timer.new({ delay, callback, ... })`. */
  get timer(): TimerModule {
    return (this.#timer ??= makeTimerModule(this));
  }

  /** LTN12 sources, sinks and pumps: `copas.ltn12.source.string(s)`. */
  get ltn12(): Ltn12Module {
    return ltn12;
  }

  /** Debug logging: `copas.debug.start(logger?)`, `copas.debug.socket(skt)`. */
  get debug(): DebugModule {
    return (this.#debugModule ??= makeDebugModule(this));
  }

  /** The HTTP client: `yield* copas.http.request(url)`. */
  get http(): HttpModule {
    return (this.#http ??= makeHttpModule(this));
  }

  /** The SMTP client: `yield* copas.smtp.send(mailt)`, `copas.smtp.message(mesgt)`. */
  get smtp(): SmtpModule {
    return (this.#smtp ??= new SmtpModule(this));
  }

  /** The FTP client: `yield* copas.ftp.get(url)`, `put(url, body)`, `command(cmdt)`. */
  get ftp(): FtpModule {
    return (this.#ftp ??= new FtpModule(this));
  }

  /** @internal the debug log's hook (lib/debug.ts), null when off. */
  get _debug(): DebugHook | null {
    return this.#debug;
  }

  set _debug(h: DebugHook | null) {
    this.#debug = h;
  }

  /** Seconds on this dispatcher's clock. */
  gettime(): number {
    return this.#clock.now();
  }

  // ======================================================================================
  // Servers and threads
  // ======================================================================================

  /**
   * Serves `server`: a TCP server runs `handler(client)` as a new thread for each accepted
   * client, started at once; a UDP socket runs `handler(server)` as one thread.
   * `timeout` (seconds) is copied to each client as its copas timeout.
   */
  addserver(server: AnySocket, handler: ThreadFn<[never]>, timeout?: number | null, name?: string | null): void {
    const s = this.#own("addserver", "server", server);
    check.func("addserver", "handler", handler);
    const to = check.optNumber("addserver", "timeout", timeout);
    if (name !== undefined && name !== null) s._cname = check.string("addserver", "name", name);
    if (to !== undefined) this.settimeout(s, to);
    (s as { settimeout?: (v: number) => unknown }).settimeout?.(0);
    if (typeof (s as { accept?: unknown }).accept === "function") {
      s._chandler = handler as (skt: never) => unknown;
      this.#servers.add(s);
      this.#reading.add(s);
      this.#watch(s, READ);
      return;
    }
    // A datagram "server": one handler thread, started at once.
    this.#servers.add(s);
    this.#reading.add(s);
    const t = new Thread(`${this.getsocketname(s)}:handler`);
    this.#start(t, handler as ThreadFn, [server], s);
  }

  /** Stops serving `server`; closes it unless `keepOpen`. Gives the result of close, or true. */
  removeserver(server: AnySocket, keepOpen?: boolean): unknown {
    const s = this.#own("removeserver", "server", server);
    this.#servers.delete(s);
    this.#reading.delete(s);
    s._chandler = null;
    if (s._rw === this) s._rw = null;
    if (keepOpen) return true;
    return (server as { close(): unknown }).close();
  }

  /**
   * Adds a thread running `fn(...args)`; it first runs on the next step, not inside this call.
   * `fn` is a generator function (or a plain one, run to completion when resumed).
   */
  addthread<A extends unknown[]>(fn: ThreadFn<A>, ...args: A): Thread {
    return this.addnamedthread(null, fn, ...args);
  }

  /** `addthread` with a name (see `getthreadname`). */
  addnamedthread<A extends unknown[]>(name: string | null | undefined, fn: ThreadFn<A>, ...args: A): Thread {
    if (typeof name === "function" && typeof fn === "string") {
      // Copas's old argument order (handler, name).
      [name, fn] = [fn as unknown as string, name as unknown as ThreadFn<A>];
    }
    if (name !== undefined && name !== null) check.string("addnamedthread", "name", name);
    check.func(name === undefined || name === null ? "addthread" : "addnamedthread", "fn", fn);
    const t = new Thread(name ?? undefined);
    t._fn = fn as ThreadFn;
    t._args = args;
    this.#makeRunnable(t, "start");
    return t;
  }

  /**
   * Removes a thread: it is taken from whatever it waits on and unwound with
   * `generator.return()`, so its `finally` blocks run (and may themselves wait).
   */
  removethread(thread: Thread): void {
    if (!(thread instanceof Thread)) check.fail("removethread", "thread", "a Thread", thread);
    if (thread._state === State.Dead || thread._cancelled) return;
    thread._cancelled = true;
    if (thread === this.#current) {
      thread._pendingReturn = true;
      return;
    }
    this.#detach(thread);
    this.#cancelTimeout(thread);
    thread._mode = RETURN;
    thread._value = undefined;
    this.#makeRunnable(thread, "remove");
  }

  // ======================================================================================
  // The loop
  // ======================================================================================

  /**
   * Runs steps until `finished()`, then calls `exit()` and runs until finished again.
   * `init` (a thread function) runs first as thread "copas_initializer"; `timeout` is passed to
   * each step. Resolves when done.
   */
  async loop(init?: ThreadFn | number | null, timeout?: number | null): Promise<void> {
    if (typeof init === "function") this.addnamedthread("copas_initializer", init);
    else if (init !== undefined && init !== null) timeout = check.number("loop", "timeout", init);
    const to = check.optNumber("loop", "timeout", timeout);
    if (this.#running) throw new Error("copas.loop: the loop is already running");
    this.#exiting = false;
    this.#exitSema = new Semaphore(this, 1, 0, Infinity);
    this.#running = true;
    this.#inStep = true;
    // The loop runs from event callbacks (see #pump): no promise per step.
    try {
      await new Promise<void>((resolve, reject) => {
        this.#loopEnd = (err) => (err === undefined ? resolve() : reject(err));
        this.#loopTimeout = to;
        const t = this.#waitTime(to);
        if (t < 0 || this.#park(t)) this.#pump();
      });
    } finally {
      this.#inStep = false;
      this.#running = false;
    }
  }

  /**
   * The loop. Runs steps back to back until one must wait, then parks. On the real clock the
   * next socket event runs the next step synchronously from its I/O callback (as a plain `net`
   * handler answers from its 'data' callback), and a timer or queued work resumes it through
   * the event loop; so a step costs no promise, and a reply goes out at once. A virtual clock
   * may end the wait inside `idle()` itself (it jumps to its next event): then the pump goes
   * on in its own loop, never recursing; other wake-ups come through a microtask.
   */
  #pump = (): void => {
    try {
      for (;;) {
        this.#runPhases();
        let done = this.finished();
        if (done) {
          if (this.#exiting) {
            this.#finishLoop(undefined);
            return;
          }
          this.exit();
          done = this.finished();
        }
        const t = this.#waitTime(this.#loopTimeout, done);
        if (t >= 0 && !this.#park(t)) return;
      }
    } catch (e) {
      this.#finishLoop(e);
    }
  };

  /**
   * Parks the pump for at most `t` seconds (Infinity: until an event). True when the wait
   * already ended inside the call (a virtual clock's jump), so the caller goes on.
   */
  #park(t: number): boolean {
    this.#parked = true;
    this.#parkSync = true;
    this.#parkWoken = false;
    const c = this.#clock;
    if (c.idle) this.#waitTimer = c.idle(t, this.#onParkTimer, this.#awaiting.size > 0);
    else if (t !== Infinity) this.#waitTimer = c.setTimer(t, this.#onParkTimer);
    this.#parkSync = false;
    if (!this.#parkWoken) return false;
    this.#parked = false;
    if (this.#waitTimer !== null) {
      c.clearTimer(this.#waitTimer);
      this.#waitTimer = null;
    }
    return true;
  }

  #onParkTimer = (): void => {
    if (this.#parkSync) {
      this.#parkWoken = true;
      return;
    }
    this.#waitTimer = null;
    this.#unparkQueued = false;
    if (!this.#parked) return;
    this.#parked = false;
    this.#pump();
  };

  /**
   * Ends the park because work arrived. A socket event on the real clock runs the pump at once;
   * anything else goes through the event loop (real clock) or a microtask (virtual clocks).
   */
  #unpark(now: boolean): void {
    if (this.#parkSync) {
      this.#parkWoken = true;
      return;
    }
    if (now && this.#batchWakes) {
      this.#parked = false;
      this.#unparkQueued = false;
      if (this.#waitTimer !== null) {
        this.#clock.clearTimer(this.#waitTimer);
        this.#waitTimer = null;
      }
      this.#pump();
      return;
    }
    if (this.#unparkQueued) return;
    this.#unparkQueued = true;
    if (this.#waitTimer !== null) this.#clock.clearTimer(this.#waitTimer);
    if (this.#batchWakes) this.#waitTimer = this.#clock.setTimer(0, this.#onParkTimer);
    else {
      this.#waitTimer = null;
      queueMicrotask(this.#onParkTimer);
    }
  }

  #finishLoop(err: unknown): void {
    const end = this.#loopEnd;
    this.#loopEnd = null;
    this.#parked = false;
    end?.(err);
  }

  /**
   * One iteration: waits at most `timeout` seconds for socket events (not at all when a thread
   * is runnable, never past the next timer), then runs readable, writable, timer and runnable
   * work in that order. Resolves `true` if socket events were handled, `false` on a timeout.
   */
  async step(timeout?: number | null): Promise<boolean> {
    const to = check.optNumber("step", "timeout", timeout);
    if (this.#inStep) throw new Error("copas.step: a step is already running");
    this.#inStep = true;
    try {
      const t = this.#waitTime(to);
      if (t >= 0) await this.#idle(t);
      return this.#runPhases();
    } finally {
      this.#inStep = false;
    }
  }

  /**
   * How long the coming step may wait for events: -1 when events are ready (no wait at all),
   * `done` is `finished()` when the caller already has it (the pump computes it each step).
   * else seconds (0: only let the event loop poll I/O once; Infinity: until an event).
   * At most every SPIN_LIMIT steps the loop lets the event loop poll, so a steady supply of
   * ready work can never starve Node's I/O.
   */
  #waitTime(timeout: number | undefined, done = this.finished()): number {
    let t = timeout ?? Infinity;
    if (this.#runnable.length > 0 || done) t = 0; // nothing could end an endless wait
    else {
      const next = this.#timers.peek();
      if (next !== undefined) t = Math.min(t, Math.max(0, next.time - this.#clock.now()));
    }
    if (t < 0) t = 0;
    // Ready events, or (real clock) runnable threads: go on without a trip through the event
    // loop, but let it poll I/O at least every SPIN_LIMIT steps. On a virtual clock a zero wait
    // still goes to the clock, which may have deliveries due now.
    if (this.#readyR.length > 0 || this.#readyW.length > 0 || (t === 0 && this.#batchWakes)) {
      if (++this.#spins < SPIN_LIMIT) return -1;
      t = 0;
    }
    this.#spins = 0;
    if (this.#statsOn) this.#statsBeforeWait();
    return t;
  }

  #runPhases(): boolean {
    let events = false;
    if (this.#statsOn) this.#statsAfterWait();
    this.#stepTime = -1;

    // 1. Readable sockets: accept on servers, resume one waiting reader otherwise.
    const rl = this.#readyR;
    if (rl.length > 0) {
      events = true;
      this.#readyR = this.#readyRSpare;
      for (let i = 0; i < rl.length; i++) this.#onReady(rl[i]!, READ);
      if (rl.length === 1) rl.pop();
      else rl.length = 0;
      this.#readyRSpare = rl;
    }

    // 2. Writable sockets.
    const wl = this.#readyW;
    if (wl.length > 0) {
      events = true;
      this.#readyW = this.#readyWSpare;
      for (let i = 0; i < wl.length; i++) this.#onReady(wl[i]!, WRITE);
      if (wl.length === 1) wl.pop();
      else wl.length = 0;
      this.#readyWSpare = wl;
    }

    // 3. Due timers: sleepers join the runnable list (after those already there), timeout
    //    callbacks run now, outside any thread (errors go to "copas_core_timer").
    if (this.#timers.size > 0) {
      const now = this._stepTime;
      for (let e = this.#timers.peek(); e !== undefined && e.time <= now; e = this.#timers.peek()) {
        this.#timers.pop();
        const th = e.thread;
        if (e.callback === null) {
          this.#sleepers--;
          th._sleep = null;
          this.#makeRunnable(th, "timer");
        } else {
          this.#timeouts--;
          th._timeout = null;
          if (this.#trace !== null) this.#traceEvent("timeout", th);
          try {
            e.callback(th);
          } catch (err) {
            this.#report(err, this.#coreTimer, null);
          }
        }
      }
    }

    // 4. Runnable threads, in the order they became runnable. The list is swapped first, so a
    //    thread made runnable now runs in the next step.
    const list = this.#runnable;
    if (list.length > 0) {
      this.#runnable = this.#runnableSpare;
      for (let i = 0; i < list.length; i++) {
        const th = list[i]!;
        if (th._state === State.Runnable) {
          if (this.#trace !== null) this.#traceRun(th);
          this.#resume(th, null);
        }
      }
      if (list.length === 1) list.pop();
      else list.length = 0;
      this.#runnableSpare = list;
    }
    return events;
  }

  /** True when there is nothing left to do (as Copas: paused-forever threads are no work). */
  finished(): boolean {
    return (
      this.#reading.size === 0 &&
      this.#writing.size === 0 &&
      this.#runnable.length === 0 &&
      this.#readyR.length === 0 &&
      this.#readyW.length === 0 &&
      this.#sleepers === 0 &&
      this.#awaiting.size === 0 &&
      !(this.#timeouts > 0 && this.#lethargyCount() > 0)
    );
  }

  /** Signals exit: `exiting()` turns true and threads in `waitforexit()` resume. */
  exit(): void {
    if (this.#exiting) return;
    this.#exiting = true;
    this.#exitSema.destroy();
  }

  /** True once `exit()` was called (reset when `loop()` starts). */
  exiting(): boolean {
    return this.#exiting;
  }

  /** Op: waits until `exit()` is called (returns at once if it was). */
  waitforexit(): Op<void> {
    return ops.waitforexit(this.#exitSema);
  }

  /**
   * Abandons all work, for test teardown: drops runnable and sleeping threads and timeouts,
   * closes the sockets being waited on, removes the servers, and calls `exit()`.
   */
  cancelall(): void {
    for (const t of this.#runnable) if (t._state === State.Runnable) t._state = State.Dead;
    this.#runnable.length = 0;
    for (const e of this.#timers.clear()) {
      if (e.callback === null) e.thread._sleep = null;
      else e.thread._timeout = null;
      if (e.callback === null && e.thread._state === State.Sleeping) e.thread._state = State.Dead;
    }
    this.#sleepers = 0;
    this.#timeouts = 0;
    for (const t of this.#awaiting) {
      t._awaitSeq++; // its settlement is ignored
      t._state = State.Dead;
    }
    this.#awaiting.clear();
    for (const s of [...this.#servers]) this.removeserver(s as Selectable & { close(): unknown });
    for (const s of [...this.#reading, ...this.#writing]) this.close(s);
    for (const s of [...this.#reading, ...this.#writing]) {
      for (const t of [...(s._crq ?? []), ...(s._cwq ?? [])]) {
        this.#detach(t);
        t._state = State.Dead;
      }
    }
    this.#reading.clear();
    this.#writing.clear();
    this.#readyR.length = 0;
    this.#readyW.length = 0;
    this.exit();
  }

  /** Counts of what the dispatcher holds; with `enableStats`, step timings too (as Copas). */
  status(enableStats?: boolean): CopasStatus {
    const res = this.#getstats(enableStats) as CopasStatus;
    res.running = this.#running;
    res.timeout = this.#timeouts;
    res.timer = this.#sleepers;
    res.inactive = this.#lethargyCount();
    res.read = this.#reading.size;
    res.write = this.#writing.size;
    res.active = this.#runnable.length;
    return res;
  }

  /** Number of timeouts set (Copas's `gettimeouts`). */
  gettimeouts(): number {
    return this.#timeouts;
  }

  // ======================================================================================
  // Sleeping and waking
  // ======================================================================================

  /** Op: sleeps `seconds` (default 0: just yield to other threads); gives seconds slept. */
  pause(seconds?: number | null): Op<number> {
    const s = check.optNumber("pause", "seconds", seconds) ?? 0;
    return ops.pause(this, s > 0 ? s : 0);
  }

  /** Op: sleeps until `wakeup(thread)`; gives seconds slept. */
  pauseforever(): Op<number> {
    return ops.pause(this, -1);
  }

  /** Deprecated op: as `pause`, but a negative time sleeps until woken. */
  sleep(seconds?: number | null): Op<number> {
    const s = check.optNumber("sleep", "seconds", seconds) ?? 0;
    return ops.pause(this, s < 0 ? -1 : s);
  }

  /** Wakes a thread sleeping in `pause`, `sleep` or `pauseforever`; others are left alone. */
  wakeup(thread: Thread): void {
    if (!(thread instanceof Thread)) check.fail("wakeup", "thread", "a Thread", thread);
    if (thread._state === State.Lethargic || thread._state === State.Sleeping) {
      this.#detach(thread);
      this.#makeRunnable(thread, "wakeup");
    }
  }

  /**
   * Sets a timeout for the running thread: after `delay` seconds `callback(thread)` runs.
   * `0` or `Infinity` cancels it; negative throws. One per thread; socket ops use it too.
   */
  timeout(delay: number, callback?: (thread: Thread) => unknown): true {
    check.number("timeout", "delay", delay);
    if (callback !== undefined && callback !== null) check.func("timeout", "callback", callback);
    const t = this.#self("timeout");
    if (delay > 0 && delay !== Infinity) {
      this.#setTimeout(t, delay, callback ?? (() => {}));
    } else if (delay === 0 || delay === Infinity) {
      this.#cancelTimeout(t);
    } else {
      throw new RangeError(`timout value must be greater than or equal to 0, got: ${delay}`);
    }
    return true;
  }

  /** Op: waits for a Promise or thenable: the value, or its rejection thrown. */
  await<T>(p: PromiseLike<T> | T): Op<Awaited<T>> {
    return awaitOp(p);
  }

  // ======================================================================================
  // Errors and names
  // ======================================================================================

  /** Sets the running thread's error handler, or the default one with `isDefault`. */
  seterrorhandler(fn?: ErrorHandler | null, isDefault?: boolean): void {
    if (fn !== undefined && fn !== null) check.func("seterrorhandler", "fn", fn);
    if (isDefault || this.#current === null) {
      if (fn === undefined || fn === null) {
        throw new TypeError("seterrorhandler: bad argument 'fn' (expected the handler to be a function when setting the default) [Copas: Expected the handler to be a function when setting the default]");
      }
      this.#defaultErrorHandler = fn;
      return;
    }
    this.#current._errorHandler = fn ?? null;
  }

  /** Deprecated alias of `seterrorhandler`. */
  setErrorHandler(fn?: ErrorHandler | null, isDefault?: boolean): void {
    this.seterrorhandler(fn, isDefault);
  }

  /** The error handler of `thread` (default: the running one), else the default handler. */
  geterrorhandler(thread?: Thread | null): ErrorHandler {
    const t = thread ?? this.#current;
    return t?._errorHandler ?? this.#defaultErrorHandler;
  }

  /** `"<msg> (coroutine: <name>, socket: <name or nil>)"` and the stack. */
  gettraceback(msg?: unknown, thread?: Thread | null, skt?: unknown): string {
    const co = thread === undefined || thread === null ? "nil" : this.getthreadname(thread);
    const sk = skt === undefined || skt === null ? "nil" : this.getsocketname(skt as AnySocket);
    const m = msg === undefined || msg === null ? "" : msg instanceof Error ? msg.message : String(msg);
    const head = m === "" ? `(coroutine: ${co}, socket: ${sk})` : `${m} (coroutine: ${co}, socket: ${sk})`;
    const stack = msg instanceof Error && msg.stack ? msg.stack : new Error(m).stack ?? "";
    const frames = stack.split("\n").filter((l) => /^\s+at /.test(l));
    return `${head}\nstack traceback:\n${frames.join("\n")}`;
  }

  /** With a truthy flag, socket ops of the running thread report the socket's own timeout error. */
  usesockettimeouterrors(flag?: boolean): void {
    this.#self("usesockettimeouterrors")._socketTimeoutErrors = !!flag;
  }

  /** Deprecated alias of `usesockettimeouterrors`. */
  useSocketTimeoutErrors(flag?: boolean): void {
    this.usesockettimeouterrors(flag);
  }

  setthreadname(name: string, thread?: Thread | null): void {
    check.string("setthreadname", "name", name);
    const t = thread ?? this.#current;
    if (!(t instanceof Thread)) check.fail("setthreadname", "thread", "a Thread, or nothing inside a thread", thread);
    t.name = name;
  }

  getthreadname(thread?: Thread | null): string {
    const t = thread ?? this.#current;
    if (!(t instanceof Thread)) check.fail("getthreadname", "thread", "a Thread, or nothing inside a thread", thread);
    return t.name;
  }

  setsocketname(name: string, skt: AnySocket): void {
    check.string("setsocketname", "name", name);
    this.#raw("setsocketname", "skt", skt)._cname = name;
  }

  getsocketname(skt: AnySocket): string {
    const s = this.#raw("getsocketname", "skt", skt);
    return s._cname ?? String(s);
  }

  /** The running thread, or null outside threads. */
  running_thread(): Thread | null {
    return this.#current;
  }

  /** Events recorded so far when made with `trace: true` (else an empty array). */
  gettrace(): string[] {
    return this.#trace ? this.#trace.slice() : [];
  }

  /** @internal adds a line to the trace, prefixed with the time (also used by the simulated network). */
  _trace(line: string): void {
    if (this.#trace === null) return;
    const now = this.#clock.now();
    this.#trace.push(`${Math.round(now * 1e6) / 1e6} ${line}`);
  }

  // ======================================================================================
  // Socket operations (ops.ts has their bodies)
  // ======================================================================================

  /**
   * Op: receives by `pattern` ("*l" default, "*a", or a byte count, `prefix` included).
   * `[data, null, null]` or `[null, err, partial]`; err "timeout" (copas timeout) or "closed".
   */
  receive(skt: AnySocket, pattern?: Pattern | null, prefix?: Data | null): Op<ReceiveResult<string>> {
    const s = this.#raw("receive", "skt", skt);
    if ((s as { _datagram?: boolean })._datagram) return ops.receiveDatagram(this, s, pattern as number | undefined, false) as Op<ReceiveResult<string>>;
    return ops.receive(this, s, pattern, prefix, false) as Op<ReceiveResult<string>>;
  }

  /** Op: as `receive`, but returns as soon as some data arrived (the partial result). */
  receivepartial(skt: AnySocket, pattern?: Pattern | null, prefix?: Data | null): Op<ReceiveResult<string>> {
    return ops.receive(this, this.#raw("receivepartial", "skt", skt), pattern, prefix, true) as Op<ReceiveResult<string>>;
  }

  /** Deprecated alias of `receivepartial`. */
  receivePartial(skt: AnySocket, pattern?: Pattern | null, prefix?: Data | null): Op<ReceiveResult<string>> {
    return this.receivepartial(skt, pattern, prefix);
  }

  /** Op (UDP): `[data, ip, port]` or `[null, err, null]`. */
  receivefrom(skt: AnySocket, size?: number | null): Op<[string, string, number] | [null, string, null]> {
    return ops.receiveDatagram(this, this.#raw("receivefrom", "skt", skt), size ?? undefined, true) as Op<
      [string, string, number] | [null, string, null]
    >;
  }

  /**
   * Op: sends bytes `i..j` of `data` (1-based, inclusive), waiting while the send buffer is
   * full. `[lastIndex, null, null]` or `[null, err, lastIndexSent]`.
   */
  send(skt: AnySocket, data: Data, i?: number | null, j?: number | null): Op<SendResult> {
    return ops.send(this, this.#raw("send", "skt", skt), data, i ?? undefined, j ?? undefined);
  }

  /** UDP: sends a datagram (never waits). */
  sendto(skt: AnySocket, data: Data, ip: string, port: number): unknown {
    const s = this.#raw("sendto", "skt", skt) as unknown as { sendto(d: Data, ip: string, port: number): unknown };
    return s.sendto(data, ip, port);
  }

  /** Op: connects a master socket, waiting until done: `[1, null]` or `[null, err]`. */
  connect(skt: AnySocket, host: string, port: number): Op<OkResult> {
    return ops.connect(this, this.#raw("connect", "skt", skt), host, port);
  }

  /**
   * Op: TLS handshake on a connected TCP socket (LuaSec's parameters, see lib/tls-params.ts):
   * `[tlsSocket, null]`, or `[null, "timeout"]` after the socket's connect timeout; any other
   * failure throws `"TLS/SSL handshake failed: <reason>"`. Use the returned socket from then on.
   */
  dohandshake(skt: AnySocket, sslparams: unknown): Op<[TlsSocket, null] | [null, string]> {
    return dohandshake(this, this.#raw("dohandshake", "skt", skt), sslparams);
  }

  /** @internal TLS for wrapped sockets (lib/tls.ts). */
  get _tls(): TlsHooks {
    return tlsHooks;
  }

  /** Closes a socket (threads waiting on it wake and see "closed"). */
  close(skt: AnySocket, ...args: unknown[]): unknown {
    const s = skt instanceof CopasSocket ? skt : this.#raw("close", "skt", skt);
    return (s as unknown as { close(...a: unknown[]): unknown }).close(...args);
  }

  /** Sets every copas timeout of `skt` (null or negative: none). Gives `true`. */
  settimeout(skt: AnySocket, t?: number | null): true {
    const v = check.optNumber("settimeout", "t", t) ?? -1;
    return this.settimeouts(skt, v, v, v);
  }

  /** Sets the connect, send and receive timeouts (null: unchanged; negative: none). */
  settimeouts(skt: AnySocket, connect?: number | null, send?: number | null, receive?: number | null): true {
    const s = this.#raw("settimeouts", "skt", skt);
    const c = check.optNumber("settimeouts", "connect", connect);
    const se = check.optNumber("settimeouts", "send", send);
    const r = check.optNumber("settimeouts", "receive", receive);
    const to = (s._cto ??= [Infinity, Infinity, Infinity]);
    if (c !== undefined) to[0] = c < 0 ? Infinity : c;
    if (se !== undefined) to[1] = se < 0 ? Infinity : se;
    if (r !== undefined) to[2] = r < 0 ? Infinity : r;
    return true;
  }

  /** Deprecated; does nothing (sends are not buffered by copas). */
  flush(..._args: unknown[]): void {}

  /** A copas socket: LuaSocket's methods as ops on `skt`. Wrapping twice gives the same object. */
  wrap(skt: AnySocket, sslparams?: unknown): CopasSocket {
    if (skt instanceof CopasSocket) return skt;
    const s = this.#own("wrap", "skt", skt);
    (s as { settimeout?: (v: number) => unknown }).settimeout?.(0);
    if (sslparams === undefined || sslparams === null) {
      const w = s._cwrapped;
      if (w instanceof CopasSocket && w.copas === this) return w;
      const nw = new CopasSocket(this, s, null);
      s._cwrapped = nw;
      return nw;
    }
    return new CopasSocket(this, s, sslparams);
  }

  /** A handler that wraps its client socket (and, with sslparams, handshakes) before `fn`. */
  handler<A extends unknown[]>(fn: (skt: CopasSocket, ...args: A) => unknown, sslparams?: unknown): (skt: AnySocket, ...args: A) => Op<unknown> {
    check.func("handler", "fn", fn);
    return ops.makeHandler(this, fn as (skt: CopasSocket, ...a: unknown[]) => unknown, sslparams) as (skt: AnySocket, ...args: A) => Op<unknown>;
  }

  // ======================================================================================
  // Internals used by ops.ts and the submodules
  // ======================================================================================

  /** @internal the running thread; throws outside threads. */
  _self(fn: string): Thread {
    return this.#self(fn);
  }

  /** @internal the running thread or null. */
  get _current(): Thread | null {
    return this.#current;
  }

  /** @internal the clock. */
  get _clock(): Clock {
    return this.#clock;
  }

  /** @internal the clock's time when the current step began (one read per step). */
  get _stepTime(): number {
    if (this.#stepTime < 0) this.#stepTime = this.#clock.now();
    return this.#stepTime;
  }

  /** @internal start of a socket op: cancels the thread's timeout (as Copas's sto_timeout). */
  _opBegin(t: Thread, kind: number): void {
    if (t._timeout !== null) this.#cancelTimeout(t);
    t._timedOut = false;
    t._armed = false;
    t._toKind = kind;
  }

  /** @internal end of a socket op: cancels its timeout. */
  _opEnd(t: Thread): void {
    if (t._timeout !== null) this.#cancelTimeout(t);
    t._timedOut = false;
    t._armed = false;
  }

  /**
   * @internal parks `t` until `s` is readable (READ) or writable (WRITE), arming the socket's
   * copas timeout on the op's first wait. The caller then yields SUSPEND.
   */
  _block(t: Thread, s: Selectable, dir: Direction): void {
    if (!t._armed) {
      t._armed = true;
      const to = s._cto === null ? Infinity : s._cto[t._toKind]!;
      if (to > 0 && to !== Infinity) this.#setTimeout(t, to, this.#socketTimeout);
    }
    t._socket = s;
    // Queues start as one-slot arrays (`[t]`, not `[]` then push, which reserves 17 slots):
    // nearly every socket only ever has one waiter, and 10,000 idle ones add up.
    if (dir === READ) {
      t._state = State.Reading;
      const q = s._crq;
      if (q === null) s._crq = [t];
      else q.push(t);
      if (q === null || q.length === 1) {
        this.#reading.add(s);
        this.#watch(s, READ);
      }
    } else {
      t._state = State.Writing;
      const q = s._cwq;
      if (q === null) s._cwq = [t];
      else q.push(t);
      if (q === null || q.length === 1) {
        this.#writing.add(s);
        this.#watch(s, WRITE);
      }
    }
  }

  /** @internal parks `t` in the timer heap (> 0), the runnable list (0) or lethargy (< 0). */
  _sleep(t: Thread, seconds: number): void {
    if (seconds > 0) {
      t._state = State.Sleeping;
      const e: TimerEntry = { time: this.#clock.now() + seconds, seq: 0, index: -1, thread: t, callback: null };
      t._sleep = e;
      this.#timers.push(e);
      this.#sleepers++;
    } else if (seconds === 0) {
      this.#makeRunnable(t, "yield");
    } else {
      t._state = State.Lethargic;
      const ref = new WeakRef(t);
      t._lethargy = ref;
      this.#lethargy.add(ref);
    }
  }

  /** @internal the thread finished an op without waiting; true when it must yield for fairness. */
  _fair(t: Thread): boolean {
    if (++t._streak < FAIRNESS_INTERVAL) return false;
    t._streak = 0;
    return true;
  }

  /** @internal report an error as the dispatcher does for failed threads. */
  _report(err: unknown, t: Thread | null, skt: unknown): void {
    this.#report(err, t, skt);
  }

  /** @internal the socket's own LuaSocket object (unwrapped), checked to be on this network. */
  _raw(fn: string, skt: unknown): Selectable {
    return this.#raw(fn, "skt", skt);
  }

  // ======================================================================================
  // Private machinery
  // ======================================================================================

  #self(fn: string): Thread {
    const t = this.#current;
    if (t === null) {
      throw new Error(`copas.${fn}: must run inside a copas thread (yield* it from a handler or an added thread)`);
    }
    return t;
  }

  #raw(fn: string, arg: string, skt: unknown): Selectable {
    // Hot path (every socket op): a socket of this dispatcher's network.
    if (skt instanceof Selectable && skt._network === this.#network) return skt;
    if (skt instanceof CopasSocket) return this.#own(fn, arg, unwrap(skt));
    return this.#own(fn, arg, skt);
  }

  #own(fn: string, arg: string, skt: unknown): Selectable {
    if (skt instanceof CopasSocket) skt = unwrap(skt);
    else if (typeof skt === "object" && skt !== null && !(skt instanceof Selectable)) {
      skt = (skt as { [DEBUG_ORIGINAL]?: unknown })[DEBUG_ORIGINAL] ?? skt; // copas.debug.socket
    }
    if (!(skt instanceof Selectable)) check.fail(fn, arg, "a socket (from copas's socket layer, or copas.wrap)", skt);
    if (skt._network !== this.#network) {
      const mine = this.#network.kind;
      const theirs = (skt._network as Network).kind;
      throw new TypeError(
        `${fn}: bad argument '${arg}' (the socket belongs to ${theirs === "sim" ? "a simulated" : "the real"} network, ` +
          `this dispatcher runs on ${mine === "sim" ? "a simulated" : "the real"} ${mine === theirs ? "network, another one" : "network"})`,
      );
    }
    return skt;
  }

  /** Watcher callback (select.ts): `s` became ready in `dir`. */
  _ready(s: Selectable, dir: Direction): void {
    if (dir === READ) this.#readyR.push(s);
    else this.#readyW.push(s);
    if (this.#parked) this.#unpark(true);
    else if (this.#wake !== null) this.#doWake();
  }

  #watch(s: Selectable, dir: Direction): void {
    if (dir === READ) {
      if (s._readable()) this.#readyR.push(s);
      else s._rw = this;
    } else {
      if (s._writable()) this.#readyW.push(s);
      else s._ww = this;
    }
  }

  #onReady(s: Selectable, dir: Direction): void {
    if (dir === READ && s._chandler !== null) {
      this.#accept(s);
      return;
    }
    const q = dir === READ ? s._crq : s._cwq;
    if (q === null || q.length === 0) return;
    const t = q.shift()!;
    if (q.length === 0) {
      if (dir === READ) this.#reading.delete(s);
      else this.#writing.delete(s);
    } else {
      this.#watch(s, dir);
    }
    t._socket = null;
    if (this.#trace !== null) this.#traceEvent("run", t, `${dir === READ ? "readable" : "writable"} ${this.getsocketname(s)}`);
    this.#resume(t, s);
  }

  #accept(server: Selectable): void {
    const [client] = (server as unknown as { accept(): [Selectable | null, unknown] }).accept();
    if (this.#servers.has(server)) this.#watch(server, READ);
    if (client === null) return;
    const n = ++server._cclients;
    const sname = this.getsocketname(server);
    client._cname = `${sname}:client_${n}`;
    if (server._cto !== null) client._cto = [server._cto[0], server._cto[1], server._cto[2]];
    (client as { settimeout?: (v: number) => unknown }).settimeout?.(0);
    const t = new Thread(`${sname}:handler_${n}`);
    if (this.#autoclose) t._autoclose = client as unknown as { close(): unknown };
    if (this.#trace !== null) this.#traceEvent("run", t, `accept ${sname}`);
    this.#start(t, server._chandler as ThreadFn, [client], client);
  }

  /** Creates the thread's generator by calling fn, then resumes it at once. */
  #start(t: Thread, fn: ThreadFn, args: unknown[], skt: Selectable | null): void {
    t._fn = fn;
    t._args = args;
    this.#resume(t, skt);
  }

  #resume(t: Thread, skt: Selectable | null): void {
    t._state = State.Running;
    this.#current = t;
    const dbg = this.#debug;
    if (dbg !== null) dbg.resume(t, skt);
    if (t._gen === null) {
      // First run: call the thread function (Copas calls it on the first resume, too).
      const fn = t._fn!;
      const args = t._args!;
      t._fn = null;
      t._args = null;
      if (t._mode === RETURN) {
        this.#current = null;
        this.#finish(t, true, undefined, skt);
        return;
      }
      let r: unknown;
      try {
        r = args.length === 0 ? fn() : fn(...args);
      } catch (e) {
        this.#current = null;
        this.#finish(t, false, e, skt);
        return;
      }
      if (isIterator(r)) t._gen = r;
      else if (isThenable(r)) t._gen = awaitOp(r);
      else {
        this.#current = null;
        this.#finish(t, true, r, skt);
        return;
      }
    }
    const res = drive(t);
    this.#current = null;
    if (res <= AWAIT) {
      t._streak = 0;
      if (res === AWAIT) this.#await(t, t._value as PromiseLike<unknown>);
      if (dbg !== null) dbg.yielded(t);
      if (t._pendingReturn) {
        t._pendingReturn = false;
        this.#detach(t);
        this.#cancelTimeout(t);
        t._mode = RETURN;
        t._value = undefined;
        this.#makeRunnable(t, "remove");
      } else if (t._state === State.Running) {
        // An op yielded SUSPEND without parking the thread: a bug in copas, surfaced loudly.
        t._mode = THROW;
        t._value = new Error("copas: internal error, a thread suspended without waiting on anything");
        this.#makeRunnable(t, "error");
      }
      return;
    }
    this.#finish(t, res === DONE, t._value, skt);
  }

  #finish(t: Thread, ok: boolean, value: unknown, skt: Selectable | null): void {
    t._state = State.Dead;
    t._gen = null;
    t._stack = null;
    if (t._timeout !== null) this.#cancelTimeout(t);
    if (this.#trace !== null) this.#traceEvent(ok ? "end" : "error", t);
    if (!ok) this.#report(value, t, skt);
    else t._result = value;
    if (ok && this.#debug !== null) this.#debug.exit(t);
    const c = t._autoclose;
    if (c !== null) {
      t._autoclose = null;
      this.close(c as unknown as AnySocket);
    }
    t._errorHandler = null;
    const cb = t._onExit;
    if (cb !== null) {
      t._onExit = null;
      cb(t, ok, value);
    }
  }

  #report(err: unknown, t: Thread | null, skt: unknown): void {
    const h = (t && t._errorHandler) || this.#defaultErrorHandler;
    try {
      h(err, t, skt);
    } catch (e) {
      process.stderr.write(`Failed executing error handler: ${e instanceof Error ? e.message : String(e)}\n`);
    }
  }

  #await(t: Thread, p: PromiseLike<unknown>): void {
    t._state = State.Awaiting;
    this.#awaiting.add(t);
    const seq = ++t._awaitSeq;
    const settle = (mode: typeof NEXT | typeof THROW, v: unknown) => {
      if (t._awaitSeq !== seq || t._state !== State.Awaiting) return;
      this.#awaiting.delete(t);
      t._mode = mode;
      t._value = v;
      this.#makeRunnable(t, "await");
    };
    try {
      p.then(
        (v) => settle(NEXT, v),
        (e) => settle(THROW, e),
      );
    } catch (e) {
      settle(THROW, e);
    }
  }

  /** `why` (start, timer, wakeup, timeout, yield, await, remove) is only kept for the trace. */
  #makeRunnable(t: Thread, why: string): void {
    if (t._state === State.Runnable || t._state === State.Dead) return;
    t._state = State.Runnable;
    if (this.#why !== null) this.#why.set(t, why);
    this.#runnable.push(t);
    if (this.#parked) this.#unpark(false);
    else if (this.#wake !== null) this.#doWake();
  }

  /** Takes `t` out of whatever it waits on (not its timeout). */
  #detach(t: Thread): void {
    switch (t._state) {
      case State.Reading:
      case State.Writing: {
        const s = t._socket!;
        const read = t._state === State.Reading;
        const q = read ? s._crq! : s._cwq!;
        const i = q.indexOf(t);
        if (i !== -1) q.splice(i, 1);
        if (q.length === 0) {
          if (read) {
            if (!s._chandler) this.#reading.delete(s);
            if (s._rw === this && !s._chandler) s._rw = null;
          } else {
            this.#writing.delete(s);
            if (s._ww === this) s._ww = null;
          }
        }
        t._socket = null;
        break;
      }
      case State.Sleeping:
        if (t._sleep !== null && this.#timers.remove(t._sleep)) this.#sleepers--;
        t._sleep = null;
        break;
      case State.Lethargic:
        if (t._lethargy !== null) this.#lethargy.delete(t._lethargy);
        t._lethargy = null;
        break;
      case State.Awaiting:
        t._awaitSeq++;
        this.#awaiting.delete(t);
        break;
      default:
        break;
    }
    if (t._state !== State.Runnable) t._state = State.Running;
  }

  #setTimeout(t: Thread, delay: number, cb: (t: Thread) => unknown): void {
    if (t._timeout !== null) this.#cancelTimeout(t);
    const e: TimerEntry = { time: this.#clock.now() + delay, seq: 0, index: -1, thread: t, callback: cb };
    t._timeout = e;
    this.#timers.push(e);
    this.#timeouts++;
  }

  #cancelTimeout(t: Thread): void {
    const e = t._timeout;
    if (e === null) return;
    t._timeout = null;
    if (this.#timers.remove(e)) this.#timeouts--;
  }

  #lethargyCount(): number {
    for (const ref of this.#lethargy) {
      const t = ref.deref();
      if (t === undefined || t._state !== State.Lethargic) this.#lethargy.delete(ref);
    }
    return this.#lethargy.size;
  }

  #idle(t: number): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
      const c = this.#clock;
      if (c.idle) this.#waitTimer = c.idle(t, this.#onIdleTimer, this.#awaiting.size > 0);
      else if (t !== Infinity) this.#waitTimer = c.setTimer(t, this.#onIdleTimer);
    });
  }

  #onIdleTimer = (): void => {
    this.#waitTimer = null;
    const w = this.#wake;
    if (w !== null) {
      this.#wake = null;
      w();
    }
  };

  /**
   * Ends the current wait because work arrived. On the real clock the end is queued with
   * setImmediate: every I/O callback of the current poll adds its event first, and one step
   * serves them all, as one select() does in Copas. That is one macrotask per batch instead of
   * one promise round per event.
   */
  #doWake(): void {
    if (!this.#batchWakes) {
      this.#wakeNow();
      return;
    }
    if (this.#wakeQueued) return;
    this.#wakeQueued = true;
    setImmediate(this.#onWakeQueued);
  }

  #onWakeQueued = (): void => {
    this.#wakeQueued = false;
    // The wait this was queued for may have ended already (its timer fired); then end the
    // current one only if work is waiting, never spuriously.
    if (this.#readyR.length > 0 || this.#readyW.length > 0 || this.#runnable.length > 0) this.#wakeNow();
  };

  #wakeNow(): void {
    const w = this.#wake;
    if (w === null) return;
    this.#wake = null;
    if (this.#waitTimer !== null) {
      this.#clock.clearTimer(this.#waitTimer);
      this.#waitTimer = null;
    }
    w();
  }

  // Trace lines: "<time> <event> <thread> [<detail>]", time on this dispatcher's clock. A
  // "run" line says what woke the thread: readable/writable <socket>, accept <server>, or why
  // it was made runnable (start, timer, wakeup, timeout, yield, await, remove).
  #traceEvent(what: string, t: Thread, detail?: string): void {
    if (this.#trace === null) return;
    const name = this.#traceName(t);
    this._trace(detail === undefined ? `${what} ${name}` : `${what} ${name} ${detail}`);
  }

  // Unnamed threads get "thread #N", numbered per dispatcher in order of appearance, since
  // their default names hold a process-wide id that would make two equal runs differ.
  #traceName(t: Thread): string {
    if (t.name !== `thread: 0x${t.id.toString(16).padStart(8, "0")}`) return t.name;
    const ids = (this.#traceIds ??= new WeakMap());
    let n = ids.get(t);
    if (n === undefined) ids.set(t, (n = ++this.#traceSeq));
    return `thread #${n}`;
  }

  #traceRun(t: Thread): void {
    const why = this.#why!.get(t) ?? "start";
    this.#why!.delete(t);
    this.#traceEvent("run", t, why);
  }

  // ---- stats (status(true)) ----

  #statsBeforeWait(): void {
    const st = this.#stats;
    if (st === null) return;
    const d = this.#clock.now() - st.step_start!;
    st.duration_max = Math.max(st.duration_max!, d);
    st.duration_min = Math.min(st.duration_min!, d);
    st.duration_tot! += d;
    st.steps! += 1;
  }

  #statsAfterWait(): void {
    const now = this.#clock.now();
    this.#stats ??= { duration_max: -1, duration_min: 999999, duration_tot: 0, steps: 0, time_start: now };
    this.#stats.step_start = now;
  }

  #getstats(enable?: boolean): Record<string, number | boolean> {
    if (!this.#statsOn) {
      if (enable === true) {
        this.#statsOn = true;
        this.#stats = null;
        this.#minEver = null;
        this.#maxEver = null;
      }
      return {};
    }
    if (enable === false) {
      this.#statsOn = false;
      this.#stats = null;
      return {};
    }
    const st = this.#stats;
    if (st === null || st.steps === 0) return {};
    this.#stats = null;
    const us = (x: number) => Math.round(x * 1e6) / 1000;
    const ms = (x: number) => Math.round(x * 1000) / 1000;
    this.#minEver = Math.min(this.#minEver ?? 9999999, st.duration_min!);
    this.#maxEver = Math.max(this.#maxEver ?? 0, st.duration_max!);
    const end = this.#clock.now();
    const tot = end - st.time_start!;
    return {
      duration_max: us(st.duration_max!),
      duration_min: us(st.duration_min!),
      duration_tot: us(st.duration_tot!),
      duration_avg: us(st.duration_tot! / st.steps!),
      duration_min_ever: us(this.#minEver),
      duration_max_ever: us(this.#maxEver),
      steps: st.steps!,
      time_start: ms(st.time_start!),
      time_end: ms(end),
      time_tot: ms(tot),
      time_avg: us(tot / st.steps!),
    };
  }
}

const realNetwork = makeRealNetwork(realClock);
/** The LuaSocket layer over Node's `net` (the one `import { socket } from "copas"` gives). */
export const realSocket: SocketModule = makeSocketModule(realNetwork);

export { SUSPEND };
