// The dispatcher: the whole life of a copas thread in one place. It knows no wing: locks,
// queues, clients and the debug log are built on its public API and its kernel (kernel.ts);
// the public `Copas` class (lib/copas.ts) composes them.
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
import * as check from "../common/check.js";
import { TimerHeap } from "../common/heap.js";
import { DEBUG_ORIGINAL } from "../common/symbols.js";
import type { Data, OkResult, Op, Pattern, ReceiveResult, SendResult, ThreadFn } from "../common/types.js";
import { isIterator, isThenable } from "../common/yieldable.js";
import type { TlsSocket } from "../socket/tls-socket.js";
import type { Network } from "../socket/network.js";
import { READ, Selectable, WRITE, type Direction, type Watcher } from "../socket/select.js";
import type { SocketModule } from "../socket/socket-module.js";
import type { TcpSocket } from "../socket/tcp.js";
import type { UdpSocket } from "../socket/udp.js";
import { registerKernelReader, TimeoutKind, type DebugHook, type Kernel, type TlsProvider, type WaitDescription } from "./kernel.js";
import { HANDSHAKE_TIMEOUT, networkTls } from "./handshake.js";
import * as ops from "./ops.js";
import { dequeue, enqueue, hasWaiter, stateOf, unqueue, waiters, type SocketState } from "./socket-state.js";
import { StepStats } from "./stats.js";
import { Trace } from "./trace.js";
import { AWAIT, DONE, drive, NEXT, RETURN, State, SUSPEND, THROW, Thread, type TimerEntry } from "./trampoline.js";
import { CopasSocket, unwrap } from "./wrap.js";

/** `fn(err, thread, socket)`: told of an error that ended a thread. */
export type ErrorHandler = (err: unknown, thread: Thread | null, skt: unknown) => unknown;

/** A socket copas can serve: a LuaSocket object, or one wrapped by `copas.wrap`. */
export type AnySocket = Selectable | CopasSocket;

/**
 * The socket `addserver(server, handler)` gives its handler, from the server's type: a TCP
 * server's accepted client (a `TcpSocket`), or a UDP socket itself. A wrapped server gives a
 * TCP client or the wrapped UDP socket; a server of unknown kind, any socket.
 */
export type HandlerSocket<S extends AnySocket> = [S] extends [UdpSocket]
  ? S
  : [S] extends [TcpSocket]
    ? TcpSocket
    : [S] extends [CopasSocket]
      ? TcpSocket | CopasSocket
      : AnySocket;

/** What a dispatcher runs on; the public `Copas` class fills in the defaults. */
export interface DispatcherOptions {
  /** Source of time. */
  clock: Clock;
  /** The LuaSocket layer this dispatcher's sockets come from (over `network`). */
  socket: SocketModule;
  /** Record a trace of scheduler events, read with `gettrace()`. */
  trace?: boolean;
  /**
   * TLS for `dohandshake` and wrapped sockets. Default: the network's own (`Network.secure`,
   * handshake.ts); null: none, they fail naming the network.
   */
  tls?: TlsProvider | null;
  /**
   * Time limit of a TLS handshake (seconds; Infinity: none) where the socket has no copas
   * connect timeout. Default: 60 (`HANDSHAKE_TIMEOUT`). See `handshakeTimeout`.
   */
  handshakeTimeout?: number;
  /** Where the default error handler writes (default: nowhere). */
  stderr?: ((text: string) => void) | null;
  /** Source of `random()`: floats in [0, 1) (a simulated network's seeded stream, or real entropy). */
  random?: (() => number) | null;
}

/** What `status()` reports. */
export interface CopasStatus {
  /** True while `loop()` runs. */
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

/**
 * Steps run back to back on ready socket events (already known, so no poll is needed to see
 * them) before the event loop is let poll once. A step that has only runnable threads always
 * lets the event loop poll first, so readiness is looked at every step, as Copas's select().
 */
const SPIN_LIMIT = 64;

function checkHandshakeTimeout(fn: string, arg: string, v: unknown): number {
  if (typeof v !== "number" || !(v > 0)) check.fail(fn, arg, "a number of seconds > 0, or Infinity for none", v);
  return v;
}

function* awaitOp<T>(p: PromiseLike<T> | T): Op<Awaited<T>> {
  // As JavaScript's `await`: a value that is not a thenable is the result as it is.
  if (!isThenable(p)) return p as Awaited<T>;
  return (yield p) as Awaited<T>;
}

function noop(): void {}

/** The message of any thrown value, even one without a prototype (String() would throw). */
function messageOf(v: unknown): string {
  if (v === undefined || v === null) return "";
  if (v instanceof Error) return v.message;
  try {
    return check.tostring(v);
  } catch {
    try {
      return Object.prototype.toString.call(v);
    } catch {
      return "(a value that cannot be printed)";
    }
  }
}

/**
 * A dispatcher: threads, wait sets, steps, timeouts, errors and names. Use the public `Copas`
 * class (the default export of "copas" is one), which adds the submodules.
 */
export class Dispatcher {
  /** The LuaSocket layer this dispatcher's sockets come from. */
  readonly socket: SocketModule;

  #clock: Clock;
  #network: Network;
  #tls: TlsProvider | null;
  #handshakeTimeout = HANDSHAKE_TIMEOUT;
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

  // ---- the wait machine (one for loop() and step()) ----
  /** What runs when the current wait ends; null when not waiting. */
  #cont: (() => void) | null = null;
  /** A socket event may end the wait from inside its I/O callback (loop on an event-loop clock). */
  #contOnIo = false;
  /** Any wake-up may end the wait at once (a step on a virtual clock: the end is a resolve). */
  #contAlways = false;
  #waitTimer: unknown = null;
  /** Inside the clock's idle()/setTimer() call of #wait: an end is recorded, not acted on. */
  #inWaitCall = false;
  #endedInCall = false;
  #endQueued = false;
  /** Event-loop clock (no `idle`): wake-ups batch through setImmediate, steps let I/O poll. */
  #eventLoopClock: boolean;
  #loopEnd: ((err: unknown) => void) | null = null;
  #loopTimeout: number | undefined = undefined;
  /** Steps run back to back on ready events without letting the event loop poll. */
  #spins = 0;
  /** The clock when the current step first needed it (-1: not read yet this step). */
  #stepTime = 0;

  #defaultErrorHandler: ErrorHandler;
  #stderr: ((text: string) => void) | null;
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
  /** Threads in waitforexit(), woken in order by exit() (as Copas 4.11's exit semaphore). */
  #exitWaiters: Thread[] = [];

  #stats = new StepStats();
  #trace: Trace | null;
  /** Set by `copas.debug.start()`: told of resumes, yields and exits. */
  #debug: DebugHook | null = null;

  /** Told by sockets when they become ready (select.ts watchers). */
  #watcher: Watcher = {
    ready: (s: Selectable, dir: Direction): void => {
      if (dir === READ) this.#readyR.push(s);
      else this.#readyW.push(s);
      if (this.#cont !== null || this.#inWaitCall) this.#wake(true);
    },
  };

  #kernel: Kernel;
  #random: (() => number) | null;
  /** Live threads of each group (a simulated host), only for threads that have one. */
  #groups: Map<string, Set<Thread>> | null = null;
  /** Groups killed and not started again: a thread their unwinding adds is removed at once. */
  #killed: Set<string> | null = null;

  static {
    registerKernelReader((d) => d.#kernel);
  }

  /** @hidden use `new Copas(options)`, which fills in the defaults and adds the submodules. */
  constructor(options: DispatcherOptions) {
    this.#clock = options.clock;
    this.socket = options.socket;
    this.#network = options.socket._network;
    this.#tls = options.tls === undefined ? networkTls : options.tls;
    if (options.handshakeTimeout !== undefined) this.#handshakeTimeout = checkHandshakeTimeout("Copas", "options.handshakeTimeout", options.handshakeTimeout);
    this.#stderr = options.stderr ?? null;
    this.#random = options.random ?? null;
    this.#trace = options.trace ? new Trace(this.#clock) : null;
    this.#eventLoopClock = this.#clock.idle === undefined;
    this.#defaultErrorHandler = (err, t, skt) => {
      this.#stderr?.(this.gettraceback(err, t, skt) + "\n");
    };
    this.#kernel = this.#makeKernel();
  }

  // ======================================================================================
  // Properties
  // ======================================================================================

  /**
   * True while `loop()` runs.
   *
   * @lua `copas.running`
   */
  get running(): boolean {
    return this.#running;
  }

  /**
   * Whether a handler's client socket is closed when the handler ends (default `true`).
   *
   * @lua `copas.autoclose`
   */
  get autoclose(): boolean {
    return this.#autoclose;
  }

  /**
   * Sets `autoclose`.
   */
  set autoclose(v: boolean) {
    this.#autoclose = !!v;
  }

  /**
   * Time limit of a TLS handshake in seconds (`dohandshake`, a wrapped socket's, and
   * `copas.handler`'s with sslparams), where the socket has no copas connect timeout (which
   * bounds it instead, as in Copas). Past it the handshake gives `[null, "timeout"]` and the
   * connection is dropped (a handler's client: the handler does not run). Default 60
   * (`HANDSHAKE_TIMEOUT`); Infinity for none, as Copas, where a client that sends nothing holds
   * its thread and descriptor forever.
   *
   * @lua (none: Copas has no limit)
   */
  get handshakeTimeout(): number {
    return this.#handshakeTimeout;
  }

  /** Sets `handshakeTimeout`. */
  set handshakeTimeout(seconds: number) {
    this.#handshakeTimeout = checkHandshakeTimeout("handshakeTimeout", "seconds", seconds);
  }

  /**
   * The time on this dispatcher's clock, in seconds (a float; seconds since the epoch on the real clock).
   *
   * @lua `copas.gettime()` (LuaSocket's `socket.gettime()`)
   */
  gettime(): number {
    return this.#clock.now();
  }

  // ======================================================================================
  // Servers and threads
  // ======================================================================================

  /**
   * Serves `server`. A TCP server runs `handler(client)` as a new thread for each accepted client,
   * started at once on accept (client socket named `"<name>:client_N"`, thread `"<name>:handler_N"`);
   * a UDP socket runs `handler(server)` as one thread, started at once. The handler's socket type
   * follows from the server's ({@link HandlerSocket}): a `TcpSocket` for a TCP server, the
   * `UdpSocket` itself for UDP. Wrap a client with `copas.handler(fn, sslparams?)`.
   *
   * @param server a bound, listening TCP socket (`socket.bind`) or a UDP socket
   * @param handler a generator function (or plain function) taking the socket
   * @param timeout seconds, copied to each client as its copas timeout (`settimeout`)
   * @param name the server's socket name (default: the socket's `toString()`)
   * @throws TypeError when `server` is not a socket of this dispatcher's network, or `handler` not a function
   * @lua `copas.addserver(server, handler [, timeout [, name]])`
   */
  addserver<S extends AnySocket>(server: S, handler: (skt: HandlerSocket<S>) => unknown, timeout?: number | null, name?: string | null): void {
    const s = this.#own("addserver", "server", server);
    check.func("addserver", "handler", handler);
    const to = check.optNumber("addserver", "timeout", timeout);
    const st = stateOf(s);
    if (name !== undefined && name !== null) st.name = check.string("addserver", "name", name);
    if (to !== undefined) this.settimeout(s, to);
    (s as { settimeout?: (v: number) => unknown }).settimeout?.(0);
    st.group = this.#current?._group ?? null;
    if (typeof (s as { accept?: unknown }).accept === "function") {
      st.handler = handler;
      this.#servers.add(s);
      this.#addReading(s, st);
      this.#watch(s, READ);
      return;
    }
    // A datagram "server": one handler thread, started at once.
    this.#servers.add(s);
    this.#addReading(s, st);
    const t = new Thread(`${this.getsocketname(s)}:handler`);
    if (st.group !== null) this.#join(t, st.group);
    this.#start(t, handler as ThreadFn, [server], s);
  }

  /**
   * Stops serving `server` and closes it, unless `keepOpen`.
   *
   * @returns the result of `server.close()`, or `true` when kept open
   * @lua `copas.removeserver(server [, keep_open])`
   */
  removeserver(server: AnySocket, keepOpen?: boolean): unknown {
    const s = this.#own("removeserver", "server", server);
    this.#servers.delete(s);
    const st = stateOf(s);
    this.#deleteReading(s, st);
    st.handler = null;
    st.group = null;
    if (s._rw === this.#watcher) s._rw = null;
    if (keepOpen) return true;
    return (server as { close(): unknown }).close();
  }

  /**
   * Adds a thread running `fn(...args)`. It first runs on the next step, not inside this call.
   * `fn` is a generator function (or a plain one, run to completion when resumed); a thrown error
   * goes to the thread's error handler and the loop goes on.
   *
   * @returns the new {@link Thread}
   * @throws TypeError when `fn` is not a function
   * @lua `copas.addthread(func [, ...])` → coroutine
   */
  addthread<A extends unknown[]>(fn: ThreadFn<A>, ...args: A): Thread {
    // Not through addnamedthread(null, fn, ...args): one arguments array per thread, not two.
    check.func("addthread", "fn", fn);
    return this.#add(null, fn as ThreadFn, args);
  }

  /**
   * `addthread` with a name (see `getthreadname`). Copas's old argument order `(fn, name)` is accepted too.
   *
   * @returns the new {@link Thread}
   * @throws TypeError when `name` is not a string or `fn` not a function
   * @lua `copas.addnamedthread(name, func [, ...])` → coroutine
   */
  addnamedthread<A extends unknown[]>(name: string | null | undefined, fn: ThreadFn<A>, ...args: A): Thread {
    if (typeof name === "function" && typeof fn === "string") {
      // Copas's old argument order (handler, name).
      [name, fn] = [fn, name];
    }
    if (name !== undefined && name !== null) check.string("addnamedthread", "name", name);
    check.func(name === undefined || name === null ? "addthread" : "addnamedthread", "fn", fn);
    return this.#add(name, fn as ThreadFn, args);
  }

  #add(name: string | null | undefined, fn: ThreadFn, args: unknown[]): Thread {
    const t = new Thread(name ?? undefined);
    t._fn = fn;
    t._args = args;
    const g = this.#current?._group;
    if (g !== null && g !== undefined) this.#join(t, g);
    this.#makeRunnable(t, "start");
    if (g !== null && g !== undefined && this.#killed?.has(g)) this.removethread(t); // a crashed host's
    return t;
  }

  /**
   * Lua's `math.random` on this dispatcher's generator: `random()` a float in [0, 1),
   * `random(m)` an integer in [1, m], `random(m, n)` one in [m, n]. On a SimNetwork it is
   * seeded by the network's seed, so runs replay; otherwise it is real entropy. Handler code
   * that uses the global random generator or crypto instead cannot be replayed from a seed.
   */
  random(m?: number | null, n?: number | null): number {
    const src = this.#random;
    if (src === null) throw new Error("random: this dispatcher has no source of randomness (DispatcherOptions.random)");
    const r = src();
    if (m === undefined || m === null) return r;
    const two = n !== undefined && n !== null;
    const lo = two ? m : 1;
    const hi = two ? n : m;
    if (!Number.isInteger(lo)) check.fail("random", "m", "an integer", m);
    if (!Number.isInteger(hi)) check.fail("random", two ? "n" : "m", "an integer", hi);
    if (lo > hi) throw new RangeError(`random: bad argument '${two ? "n" : "m"}' (interval is empty)`);
    return lo + Math.floor(r * (hi - lo + 1));
  }

  #join(t: Thread, group: string): void {
    t._group = group;
    const groups = (this.#groups ??= new Map<string, Set<Thread>>());
    let set = groups.get(group);
    if (set === undefined) groups.set(group, (set = new Set()));
    set.add(t);
  }

  #spawn(group: string, name: string, fn: ThreadFn, args: unknown[]): Thread {
    this.#killed?.delete(group);
    const t = this.addnamedthread(name, fn, ...args);
    if (t._group !== null) this.#groups!.get(t._group)!.delete(t);
    this.#join(t, group);
    return t;
  }

  #killGroup(group: string): number {
    (this.#killed ??= new Set()).add(group);
    for (const s of [...this.#servers]) {
      if ((s._slot as SocketState | null)?.group === group) this.removeserver(s);
    }
    const set = this.#groups?.get(group);
    if (set === undefined) return 0;
    const list = [...set];
    for (const t of list) this.removethread(t);
    return list.length;
  }

  /**
   * Removes a thread: it is taken from whatever it waits on and unwound with
   * `generator.return()`, so its `finally` blocks run (and may themselves wait). A thread that
   * already ended is left alone; any thread may be removed, not only those from `addthread`.
   *
   * @throws TypeError when `thread` is not a Thread
   * @lua `copas.removethread(coroutine)`
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
   * Runs steps until `finished()`, then calls `exit()` and runs until finished again, with
   * `running` set meanwhile. `init` (a thread function) runs first, as the thread
   * `"copas_initializer"`; `timeout` is passed to each step. The default export is callable:
   * `copas(init, timeout)` is `copas.loop(init, timeout)`.
   *
   * @returns a Promise that resolves when the loop is done
   * @throws Error `"copas.loop: the loop is already running"` (the Promise rejects)
   * @lua `copas.loop([init_func, ][timeout])`, `copas([init_func, ][timeout])`
   */
  async loop(init?: ThreadFn | number | null, timeout?: number | null): Promise<void> {
    if (typeof init === "function") this.addnamedthread("copas_initializer", init);
    // As Copas: anything else in first place is the timeout.
    else if (init !== undefined && init !== null) timeout = check.number("loop", "timeout", init);
    const to = check.optNumber("loop", "timeout", timeout);
    if (this.#running) throw new Error("copas.loop: the loop is already running");
    this.#exiting = false;
    this.#running = true;
    this.#inStep = true;
    // The loop runs from event callbacks (see #pump): no promise per step.
    try {
      await new Promise<void>((resolve, reject) => {
        // The pump's error is rethrown as it was thrown (a thread-less failure of the loop itself).
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        this.#loopEnd = (err) => (err === undefined ? resolve() : reject(err));
        this.#loopTimeout = to;
        const t = this.#waitTime(to);
        if (t < 0 || this.#wait(t, this.#pump, true, false)) this.#pump();
      });
    } finally {
      this.#inStep = false;
      this.#running = false;
    }
  }

  /**
   * The loop. Runs steps back to back until one must wait, then waits. On an event-loop clock
   * the next socket event runs the next step synchronously from its I/O callback (as a plain
   * `net` handler answers from its 'data' callback), and a timer or queued work resumes it
   * through the event loop; so a step costs no promise, and a reply goes out at once. A
   * virtual clock may end the wait inside `idle()` itself (it jumps to its next event): then
   * the pump goes on in its own loop, never recursing; other wake-ups come through a microtask.
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
        if (t >= 0 && !this.#wait(t, this.#pump, true, false)) return;
      }
    } catch (e) {
      this.#finishLoop(e);
    }
  };

  #finishLoop(err: unknown): void {
    const end = this.#loopEnd;
    this.#loopEnd = null;
    this.#cont = null;
    end?.(err);
  }

  /**
   * One iteration: waits at most `timeout` seconds for socket events (not at all when a thread is
   * runnable, never past the next timer), then runs, in this order, the threads of readable
   * sockets (and accepts), of writable sockets, the due timers, and the threads that were
   * runnable when that phase began. A thread made runnable during the step runs in the next.
   *
   * @returns a Promise of `true` if socket events were handled, `false` on a timeout
   * @throws Error `"copas.step: a step is already running"` (the Promise rejects); call it from your
   * own loop, never inside a copas thread (use `pause` there)
   * @lua `copas.step([timeout])`
   */
  async step(timeout?: number | null): Promise<boolean> {
    const to = check.optNumber("step", "timeout", timeout);
    if (this.#inStep) throw new Error("copas.step: a step is already running");
    this.#inStep = true;
    try {
      const t = this.#waitTime(to);
      if (t >= 0) {
        await new Promise<void>((resolve) => {
          if (this.#wait(t, resolve, false, !this.#eventLoopClock)) resolve();
        });
      }
      return this.#runPhases();
    } finally {
      this.#inStep = false;
    }
  }

  /**
   * How long the coming step may wait for events: -1 when events are ready (no wait at all),
   * else seconds (0: only let the event loop poll I/O once; Infinity: until an event).
   * `done` is `finished()` when the caller already has it (the pump computes it each step).
   * On an event-loop clock a step with runnable threads lets the event loop poll I/O first, so
   * a reader whose data has arrived is served in the next step, as Copas's select(0) would;
   * ready events already known are served without a poll, at most SPIN_LIMIT steps in a row.
   */
  #waitTime(timeout: number | undefined, done = this.finished()): number {
    let t = timeout ?? Infinity;
    if (this.#runnable.length > 0 || done) t = 0; // nothing could end an endless wait
    else {
      const next = this.#timers.peek();
      if (next !== undefined) t = Math.min(t, Math.max(0, next.time - this.#clock.now()));
    }
    if (t < 0) t = 0;
    if (this.#readyR.length > 0 || this.#readyW.length > 0) {
      if (++this.#spins < SPIN_LIMIT) return -1;
      t = 0;
    } else if (t === 0 && !done && this.#eventLoopClock && this.#reading.size === 0 && this.#writing.size === 0 && this.#awaiting.size === 0) {
      // Runnable threads, and nothing an event could make ready: no socket waited on, no
      // promise awaited. A poll would find nothing for this dispatcher, so the next step runs
      // at once (lock hand-offs, queues: a step each), letting the event loop in every
      // SPIN_LIMIT steps still. (A virtual clock is always asked: it may deliver now.)
      if (++this.#spins < SPIN_LIMIT) {
        if (this.#stats.on) this.#stats.beforeWait(this.#clock.now());
        return -1;
      }
    }
    this.#spins = 0;
    if (this.#stats.on) this.#stats.beforeWait(this.#clock.now());
    return t;
  }

  #runPhases(): boolean {
    let events = false;
    if (this.#stats.on) this.#stats.afterWait(this.#clock.now());
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
      const now = this.#getStepTime();
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
          if (this.#trace !== null) this.#trace.event("timeout", th);
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
          if (this.#trace !== null) this.#trace.run(th);
          this.#resume(th, null);
        }
      }
      if (list.length === 1) list.pop();
      else list.length = 0;
      this.#runnableSpare = list;
    }
    return events;
  }

  // ---- the wait machine ----

  /**
   * Waits at most `t` seconds (Infinity: until an event), then calls `cont`. True when the
   * wait already ended inside this call (a virtual clock's jump, or events that came in
   * meanwhile): then `cont` is not called and the caller goes on itself.
   * `onIo`: a socket event may call `cont` from inside its I/O callback (the loop on an
   * event-loop clock). `always`: any wake-up may call it at once (a step on a virtual clock).
   */
  #wait(t: number, cont: () => void, onIo: boolean, always: boolean): boolean {
    this.#cont = cont;
    this.#contOnIo = onIo && this.#eventLoopClock;
    this.#contAlways = always;
    this.#inWaitCall = true;
    this.#endedInCall = false;
    const c = this.#clock;
    if (c.idle) this.#waitTimer = c.idle(t, this.#onWaitTimer, this.#awaiting.size > 0);
    else if (t !== Infinity) this.#waitTimer = c.setTimer(t, this.#onWaitTimer);
    this.#inWaitCall = false;
    if (!this.#endedInCall) return false;
    this.#cont = null;
    this.#clearWaitTimer();
    return true;
  }

  #onWaitTimer = (): void => {
    if (this.#inWaitCall) {
      this.#endedInCall = true;
      return;
    }
    this.#waitTimer = null;
    this.#endWait();
  };

  #endWait(): void {
    const k = this.#cont;
    if (k === null) return;
    this.#cont = null;
    this.#clearWaitTimer();
    k();
  }

  #clearWaitTimer(): void {
    if (this.#waitTimer !== null) {
      this.#clock.clearTimer(this.#waitTimer);
      this.#waitTimer = null;
    }
  }

  /**
   * Work arrived while waiting (`io`: a socket event, told from its I/O callback). On an
   * event-loop clock the end of the wait is queued with setImmediate, so every I/O callback of
   * the current poll adds its event first and one step serves them all, as one select() does
   * in Copas; but the loop answers a socket event at once, from its callback. On a virtual
   * clock a step's wait ends at once and the loop's through a microtask (no recursion).
   */
  #wake(io: boolean): void {
    if (this.#inWaitCall) {
      this.#endedInCall = true;
      return;
    }
    if (this.#cont === null) return;
    if (this.#contAlways || (io && this.#contOnIo)) {
      this.#endWait();
      return;
    }
    if (this.#endQueued) return;
    this.#endQueued = true;
    if (this.#eventLoopClock) setImmediate(this.#onEndQueued);
    else queueMicrotask(this.#onEndQueued);
  }

  #onEndQueued = (): void => {
    this.#endQueued = false;
    // The wait this was queued for may have ended already (its timer fired); then end the
    // current one only if work is waiting, never spuriously.
    if (this.#readyR.length > 0 || this.#readyW.length > 0 || this.#runnable.length > 0) this.#endWait();
  };

  /**
   * True when there is nothing left to do: no runnable or sleeping thread, no socket waited on,
   * no server, no Promise awaited. Threads paused forever do not count, as in Copas.
   *
   * @lua `copas.finished()`
   */
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

  /**
   * Signals exit: `exiting()` turns true and the threads in `waitforexit()` resume. `loop()` calls it
   * once `finished()`.
   *
   * @lua `copas.exit()`
   */
  exit(): void {
    if (this.#exiting) return;
    this.#exiting = true;
    const ws = this.#exitWaiters;
    this.#exitWaiters = [];
    for (const t of ws) this.wakeup(t);
  }

  /**
   * True once `exit()` was called (reset when `loop()` starts).
   *
   * @lua `copas.exiting()`
   */
  exiting(): boolean {
    return this.#exiting;
  }

  /**
   * Op: waits until `exit()` is called (returns at once if it was). Outside a copas thread it throws an `Error` (`"copas.<name>: must run inside a copas thread ..."`).
   *
   * @lua `copas.waitforexit()`
   */
  waitforexit(): Op<void> {
    return ops.waitforexit(this.#kernel);
  }

  /** The exit wait of ops.waitforexit: true when exiting, else queued. */
  #exitWait(t: Thread): boolean {
    if (this.#exiting) return true;
    this.#exitWaiters.push(t);
    return false;
  }

  /** A thread leaves waitforexit (woken or unwound). */
  #exitLeave(t: Thread): void {
    const i = this.#exitWaiters.indexOf(t);
    if (i !== -1) this.#exitWaiters.splice(i, 1);
  }

  /**
   * Abandons all work, for test teardown: drops runnable and sleeping threads and timeouts,
   * closes the sockets being waited on, removes the servers, and calls `exit()`.
   *
   * @lua `copas.cancelall()`
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
    for (const s of [...this.#servers]) this.removeserver(s);
    for (const s of [...this.#reading, ...this.#writing]) this.close(s);
    for (const s of [...this.#reading, ...this.#writing]) {
      const st = s._slot as SocketState | null;
      if (st === null) continue;
      for (const t of waiters(st)) {
        this.#detach(t);
        t._state = State.Dead;
      }
    }
    for (const s of this.#reading) (s._slot as SocketState).inR = false;
    for (const s of this.#writing) (s._slot as SocketState).inW = false;
    this.#reading.clear();
    this.#writing.clear();
    this.#readyR.length = 0;
    this.#readyW.length = 0;
    this.exit();
  }

  /**
   * Counts of what the dispatcher holds: `running`, `read`, `write`, `active`, `timer`, `inactive`,
   * `timeout`; with `enableStats`, step timings too, with Copas's field names.
   *
   * @lua `copas.status([enable_stats])`
   */
  status(enableStats?: boolean): CopasStatus {
    const res = this.#stats.read(enableStats, () => this.#clock.now()) as CopasStatus;
    res.running = this.#running;
    res.timeout = this.#timeouts;
    res.timer = this.#sleepers;
    res.inactive = this.#lethargyCount();
    res.read = this.#reading.size;
    res.write = this.#writing.size;
    res.active = this.#runnable.length;
    return res;
  }

  /**
   * The number of timeouts set.
   *
   * @lua `copas.gettimeouts()`
   */
  gettimeouts(): number {
    return this.#timeouts;
  }

  // ======================================================================================
  // Sleeping and waking
  // ======================================================================================

  /**
   * Op: sleeps `seconds` (default 0: only lets the other threads run).
   * `pause(0)` returns the seconds between the start of the step it paused in and the one it resumed in.
   *
   * @returns the seconds slept
   * @throws TypeError when `seconds` is not a number; outside a copas thread, an `Error` (`"copas.<name>: must run inside a copas thread ..."`).
   * @lua `copas.pause([sleeptime])`
   */
  pause(seconds?: number | null): Op<number> {
    const s = check.optNumber("pause", "seconds", seconds) ?? 0;
    return ops.pause(this.#kernel, s > 0 ? s : 0);
  }

  /**
   * Op: sleeps until `wakeup(thread)`. A thread paused forever is no work for `finished()`.
   *
   * @returns the seconds slept
   * @lua `copas.pauseforever()`
   */
  pauseforever(): Op<number> {
    return ops.pause(this.#kernel, -1);
  }

  /**
   * Deprecated op: as `pause`, but a negative time sleeps until woken (as `pauseforever`).
   *
   * @returns the seconds slept
   * @lua `copas.sleep([sleeptime])`
   */
  sleep(seconds?: number | null): Op<number> {
    const s = check.optNumber("sleep", "seconds", seconds) ?? 0;
    return ops.pause(this.#kernel, s < 0 ? -1 : s);
  }

  /**
   * Wakes a thread sleeping in `pause`, `sleep` or `pauseforever`; a thread waiting on anything else is left alone.
   *
   * @throws TypeError when `thread` is not a Thread
   * @lua `copas.wakeup(coroutine)`
   */
  wakeup(thread: Thread): void {
    if (!(thread instanceof Thread)) check.fail("wakeup", "thread", "a Thread", thread);
    if (thread._state === State.Lethargic || thread._state === State.Sleeping) {
      this.#detach(thread);
      this.#makeRunnable(thread, "wakeup");
    }
  }

  /**
   * Sets the running thread's timeout: after `delay` seconds `callback(thread)` runs (outside the
   * thread; its errors go to the default handler as thread `"copas_core_timer"`). `0` or `Infinity`
   * cancels it. One per thread; it is cancelled when the thread ends.
   *
   * @returns `true`
   * @throws RangeError `"timout value must be greater than or equal to 0, got: <delay>"` (Copas's
   * text, spelling included); TypeError for a delay that is not a number; outside a copas thread, an `Error` (`"copas.<name>: must run inside a copas thread ..."`).
   * @lua `copas.timeout(delay [, callback])`
   */
  timeout(delay: number, callback?: (thread: Thread) => unknown): true {
    check.number("timeout", "delay", delay);
    if (callback !== undefined && callback !== null) check.func("timeout", "callback", callback);
    const t = this.#self("timeout");
    if (delay > 0 && delay !== Infinity) {
      this.#setTimeout(t, delay, callback ?? noop);
    } else if (delay === 0 || delay === Infinity) {
      this.#cancelTimeout(t);
    } else {
      throw new RangeError(`timout value must be greater than or equal to 0, got: ${delay}`);
    }
    return true;
  }

  /**
   * Op: waits for a Promise or thenable (a thread may also `yield` it, untyped).
   *
   * @returns the value it resolves to; a rejection is thrown into the thread
   * @lua (none: Lua has no Promises)
   */
  await<T>(p: PromiseLike<T> | T): Op<Awaited<T>> {
    return awaitOp(p);
  }

  // ======================================================================================
  // Errors and names
  // ======================================================================================

  /**
   * Sets the error handler of the running thread, or the default one (with `isDefault`, or
   * outside a thread). `fn(err, thread, skt)` is told of an error that ended a thread; whatever it
   * does, the loop goes on (an error it throws is reported as `"Failed executing error handler: ..."`).
   * The default handler writes `gettraceback(err, thread, skt)` to stderr.
   *
   * @throws TypeError when `fn` is not a function, or missing when setting the default
   * @lua `copas.seterrorhandler(func [, default])`
   */
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

  /**
   * Deprecated alias of `seterrorhandler`.
   *
   * @lua `copas.setErrorHandler(func [, default])`
   */
  setErrorHandler(fn?: ErrorHandler | null, isDefault?: boolean): void {
    this.seterrorhandler(fn, isDefault);
  }

  /**
   * The error handler of `thread` (default: the running one), or else the default handler.
   *
   * @lua `copas.geterrorhandler([coroutine])`
   */
  geterrorhandler(thread?: Thread | null): ErrorHandler {
    if (thread !== undefined && thread !== null && !(thread instanceof Thread)) check.fail("geterrorhandler", "thread", "a Thread, or nothing", thread);
    const t = thread ?? this.#current;
    return t?._errorHandler ?? this.#defaultErrorHandler;
  }

  /**
   * `"<msg> (coroutine: <thread name>, socket: <socket name or nil>)"`, then `"stack traceback:"` and
   * the frames of `msg`'s stack (an `Error`'s own, else the current one).
   *
   * @lua `copas.gettraceback([msg [, coroutine [, skt]]])`
   */
  gettraceback(msg?: unknown, thread?: Thread | null, skt?: unknown): string {
    const co = thread === undefined || thread === null ? "nil" : this.getthreadname(thread);
    const sk = skt === undefined || skt === null ? "nil" : this.getsocketname(skt as AnySocket);
    const m = messageOf(msg);
    const head = m === "" ? `(coroutine: ${co}, socket: ${sk})` : `${m} (coroutine: ${co}, socket: ${sk})`;
    const stack = msg instanceof Error && typeof msg.stack === "string" ? msg.stack : (new Error(m).stack ?? "");
    const frames = stack.split("\n").filter((l) => /^\s+at /.test(l));
    return `${head}\nstack traceback:\n${frames.join("\n")}`;
  }

  /**
   * With a truthy flag, the socket ops of the running thread report the socket's own timeout error
   * (`"timeout"`, or a TLS `"wantread"`/`"wantwrite"`) instead of copas's `"timeout"`. Outside a copas thread it throws an `Error` (`"copas.<name>: must run inside a copas thread ..."`).
   *
   * @lua `copas.useSocketTimeoutErrors(bool)`
   */
  usesockettimeouterrors(flag?: boolean): void {
    this.#self("usesockettimeouterrors")._socketTimeoutErrors = !!flag;
  }

  /**
   * Alias of `usesockettimeouterrors` (Copas 4.11's spelling).
   *
   * @lua `copas.useSocketTimeoutErrors(bool)`
   */
  useSocketTimeoutErrors(flag?: boolean): void {
    this.usesockettimeouterrors(flag);
  }

  /**
   * Names a thread (default: the running one); names appear in tracebacks and traces.
   *
   * @throws TypeError when `name` is not a string, or outside a thread without `thread`
   * @lua `copas.setthreadname(name [, coroutine])`
   */
  setthreadname(name: string, thread?: Thread | null): void {
    check.string("setthreadname", "name", name);
    const t = thread ?? this.#current;
    if (!(t instanceof Thread)) check.fail("setthreadname", "thread", "a Thread, or nothing inside a thread", thread);
    t.name = name;
  }

  /**
   * The name of `thread` (default: the running one): the one given, else Lua's
   * `"thread: 0x<id>"` form.
   *
   * @throws TypeError outside a thread without `thread`
   * @lua `copas.getthreadname([coroutine])`
   */
  getthreadname(thread?: Thread | null): string {
    const t = thread ?? this.#current;
    if (!(t instanceof Thread)) check.fail("getthreadname", "thread", "a Thread, or nothing inside a thread", thread);
    return t.name;
  }

  /**
   * Names a socket, for tracebacks and traces.
   *
   * @throws TypeError when `name` is not a string or `skt` not a socket of this dispatcher's network
   * @lua `copas.setsocketname(name, skt)`
   */
  setsocketname(name: string, skt: AnySocket): void {
    check.string("setsocketname", "name", name);
    stateOf(this.#raw("setsocketname", "skt", skt)).name = name;
  }

  /**
   * The name of `skt`: the one given (servers: their `addserver` name, clients
   * `"<server>:client_N"`), else its `toString()` (`tcp{client}`, ...).
   *
   * @lua `copas.getsocketname(skt)`
   */
  getsocketname(skt: AnySocket): string {
    const s = this.#raw("getsocketname", "skt", skt);
    return (s._slot as SocketState | null)?.name ?? String(s);
  }

  /**
   * The running thread, or null outside threads.
   *
   * @lua `coroutine.running()`
   */
  running_thread(): Thread | null {
    return this.#current;
  }

  /**
   * The events recorded so far, one line each (`"<time> <event>"`), when made with `trace: true`;
   * else an empty array.
   *
   * @lua (none: a copas/sim addition)
   */
  gettrace(): string[] {
    return this.#trace ? this.#trace.lines() : [];
  }

  // ======================================================================================
  // Socket operations (ops.ts has their bodies)
  // ======================================================================================

  /**
   * Op: receives from `skt` by `pattern`: `"*l"`/`"l"` a line (the default; `"\n"` removed, `"\r"`
   * ignored), `"*a"`/`"a"` everything until the peer closes, or a byte count (which includes the
   * prefix's length, as in LuaSocket). `prefix` goes in front of the data. Waits while nothing
   * complete has arrived, up to the socket's receive timeout. UDP: `receive(skt, size)`.
   *
   * @returns `[data, null, null]`, or `[null, err, partial]` with `err` `"timeout"` (the copas
   * timeout ran out) or `"closed"`; `"*a"` gives `[data, null, null]` when the peer closes after
   * sending anything during the op, and `[null, "closed", prefix]` when nothing came
   * @throws TypeError for a bad pattern or socket; outside a copas thread, an `Error` (`"copas.<name>: must run inside a copas thread ..."`).
   * @lua `copas.receive(skt [, pattern [, prefix]])` → `data` or `nil, err, partial`
   */
  receive(skt: AnySocket, pattern?: Pattern | null, prefix?: Data | null): Op<ReceiveResult<string>> {
    const s = this.#raw("receive", "skt", skt);
    if ((s as { _datagram?: boolean })._datagram) return ops.receiveDatagram(this.#kernel, s, pattern as number | undefined, false) as Op<ReceiveResult<string>>;
    return ops.receive(this.#kernel, s, pattern, prefix, false) as Op<ReceiveResult<string>>;
  }

  /**
   * Op: as `receive`, but returns as soon as some data arrived (the partial result, with err `"timeout"`).
   *
   * @returns `[data, null, null]`, or `[null, err, partial]` (`err` `"timeout"` with the bytes so far, or `"closed"`)
   * @lua `copas.receivepartial(skt [, pattern [, prefix]])`
   */
  receivepartial(skt: AnySocket, pattern?: Pattern | null, prefix?: Data | null): Op<ReceiveResult<string>> {
    return ops.receive(this.#kernel, this.#raw("receivepartial", "skt", skt), pattern, prefix, true) as Op<ReceiveResult<string>>;
  }

  /**
   * Deprecated alias of `receivepartial`.
   *
   * @lua `copas.receivePartial(skt [, pattern [, prefix]])`
   */
  receivePartial(skt: AnySocket, pattern?: Pattern | null, prefix?: Data | null): Op<ReceiveResult<string>> {
    return this.receivepartial(skt, pattern, prefix);
  }

  /**
   * Op (UDP): receives one datagram of at most `size` bytes (default 8192) and who sent it.
   *
   * @returns `[data, ip, port]`, or `[null, err, null]` with `err` `"timeout"`, `"closed"` or `"connection refused"`
   * @lua `copas.receivefrom(skt [, size])` → `data, ip, port` or `nil, err`
   */
  receivefrom(skt: AnySocket, size?: number | null): Op<[string, string, number] | [null, string, null]> {
    return ops.receiveDatagram(this.#kernel, this.#raw("receivefrom", "skt", skt), size ?? undefined, true) as Op<
      [string, string, number] | [null, string, null]
    >;
  }

  /**
   * Op: sends bytes `i..j` of `data` (1-based, inclusive, negative from the end, as LuaSocket),
   * waiting while the socket's send buffer is full, up to its send timeout. Strings go out by the
   * socket's encoding (`"latin1"` by default: one byte per char; see `setencoding`),
   * `Uint8Array`s as they are.
   *
   * @returns `[lastIndex, null, null]`, or `[null, err, lastIndexSent]` with `err` `"timeout"` or `"closed"`
   * @throws TypeError for data that is neither a string nor bytes; outside a copas thread, an `Error` (`"copas.<name>: must run inside a copas thread ..."`).
   * @lua `copas.send(skt, data [, i [, j]])` → `last` or `nil, err, last`
   */
  send(skt: AnySocket, data: Data, i?: number | null, j?: number | null): Op<SendResult> {
    const s = this.#raw("send", "skt", skt);
    if (i !== undefined && i !== null && typeof i !== "number") check.fail("send", "i", "a number or nothing", i);
    if (j !== undefined && j !== null && typeof j !== "number") check.fail("send", "j", "a number or nothing", j);
    return ops.send(this.#kernel, s, data, i ?? undefined, j ?? undefined);
  }

  /**
   * UDP: sends a datagram to `ip:port` (never waits).
   *
   * @returns what the socket's `sendto` gives: `[bytes, null]`, or `[null, err]` (`"closed"`, `"message too long"`, ...)
   * @lua `copas.sendto(skt, data, ip, port)`
   */
  sendto(skt: AnySocket, data: Data, ip: string, port: number): unknown {
    const s = this.#raw("sendto", "skt", skt) as unknown as { sendto(d: Data, ip: string, port: number): unknown };
    return s.sendto(data, ip, port);
  }

  /**
   * Op: connects a master socket to `host:port`, waiting up to its connect timeout.
   *
   * @returns `[1, null]`, or `[null, err]` with `err` `"timeout"`, `"connection refused"`, `"host not found"`, ...
   * @lua `copas.connect(skt, host, port)` → `1` or `nil, err`
   */
  connect(skt: AnySocket, host: string, port: number): Op<OkResult> {
    return ops.connect(this.#kernel, this.#raw("connect", "skt", skt), host, port);
  }

  /**
   * Op: the TLS handshake on a connected TCP socket, with LuaSec's parameters
   * (`{ mode, protocol, key, certificate, cafile, verify, options }`, or `{ wrap, sni }`).
   * Use the returned socket from then on.
   *
   * @returns `[tlsSocket, null]`, or `[null, "timeout"]` after the socket's connect timeout
   * (else `handshakeTimeout`)
   * @throws {@link TlsHandshakeError} `"TLS/SSL handshake failed: <reason>"` on any other failure, as Copas
   * @lua `copas.dohandshake(skt, sslparams)` → `ssl_skt` or `nil, err`
   */
  dohandshake(skt: AnySocket, sslparams: unknown): Op<[TlsSocket, null] | [null, string]> {
    const s = this.#raw("dohandshake", "skt", skt);
    return this.#tlsProvider("dohandshake").dohandshake(this.#kernel, s, sslparams) as Op<[TlsSocket, null] | [null, string]>;
  }

  /**
   * Closes a socket; threads waiting on it wake and see `"closed"`.
   *
   * @returns what the socket's `close` gives (`1`)
   * @lua `copas.close(skt, ...)`
   */
  close(skt: AnySocket, ...args: unknown[]): unknown {
    const s = skt instanceof CopasSocket ? skt : this.#raw("close", "skt", skt);
    return (s as unknown as { close(...a: unknown[]): unknown }).close(...args);
  }

  /**
   * Sets every copas timeout of `skt` (connect, send, receive), in seconds; `null` or negative: none.
   *
   * @returns `true`
   * @throws TypeError when `t` is not a number
   * @lua `copas.settimeout(skt, [timeout])`
   */
  settimeout(skt: AnySocket, t?: number | null): true {
    const v = check.optNumber("settimeout", "t", t) ?? -1;
    return this.settimeouts(skt, v, v, v);
  }

  /**
   * Sets the connect, send and receive timeouts of `skt` separately, in seconds
   * (`null`: unchanged; negative: none).
   *
   * @returns `true`
   * @lua `copas.settimeouts(skt, [connect], [send], [receive])`
   */
  settimeouts(skt: AnySocket, connect?: number | null, send?: number | null, receive?: number | null): true {
    const s = this.#raw("settimeouts", "skt", skt);
    const c = check.optNumber("settimeouts", "connect", connect);
    const se = check.optNumber("settimeouts", "send", send);
    const r = check.optNumber("settimeouts", "receive", receive);
    const st = stateOf(s);
    const to = (st.to ??= [Infinity, Infinity, Infinity]);
    if (c !== undefined) to[TimeoutKind.Connect] = c < 0 ? Infinity : c;
    if (se !== undefined) to[TimeoutKind.Send] = se < 0 ? Infinity : se;
    if (r !== undefined) to[TimeoutKind.Receive] = r < 0 ? Infinity : r;
    return true;
  }

  /**
   * Deprecated; does nothing (copas does not buffer sends).
   *
   * @lua `copas.flush()`
   */
  flush(..._args: unknown[]): void {}

  /**
   * A copas socket: LuaSocket's methods on `skt` as ops (`yield* w.receive()`), timeouts and all.
   * Wrapping twice gives the same object. With `sslparams`, `connect` also does the TLS handshake.
   *
   * @returns the {@link CopasSocket}
   * @throws TypeError when `skt` is not a socket of this dispatcher's network
   * @lua `copas.wrap(skt [, sslparams])`
   */
  wrap(skt: AnySocket, sslparams?: unknown): CopasSocket {
    if (skt instanceof CopasSocket) return skt;
    const s = this.#own("wrap", "skt", skt);
    (s as { settimeout?: (v: number) => unknown }).settimeout?.(0);
    if (sslparams === undefined || sslparams === null) {
      const st = stateOf(s);
      const w = st.wrapped;
      if (w instanceof CopasSocket && w.copas === this) return w;
      const nw = new CopasSocket(this, s, null);
      st.wrapped = nw;
      return nw;
    }
    return new CopasSocket(this, s, sslparams);
  }

  /**
   * A server handler that wraps its client (`wrap(skt, sslparams)`) and, with `sslparams`, does the
   * TLS handshake, before calling `fn(wrappedClient, ...args)`.
   *
   * @returns a handler for `addserver`
   * @throws TypeError when `fn` is not a function or `sslparams` is malformed
   * @lua `copas.handler(handler [, sslparams])`
   */
  handler<A extends unknown[]>(fn: (skt: CopasSocket, ...args: A) => unknown, sslparams?: unknown): (skt: AnySocket, ...args: A) => Op<unknown> {
    check.func("handler", "fn", fn);
    return ops.makeHandler(this.#kernel, fn as (skt: CopasSocket, ...a: unknown[]) => unknown, sslparams);
  }

  // ======================================================================================
  // The kernel (kernel.ts): what ops and wings may ask beyond the public API
  // ======================================================================================

  #makeKernel(): Kernel {
    return {
      dispatcher: this,
      clock: this.#clock,
      self: (fn) => this.#self(fn),
      stepTime: () => this.#getStepTime(),
      opBegin: (t, kind) => {
        if (t._timeout !== null) this.#cancelTimeout(t);
        t._timedOut = false;
        t._armed = false;
        t._toKind = kind;
      },
      opEnd: (t) => {
        if (t._timeout !== null) this.#cancelTimeout(t);
        t._timedOut = false;
        t._armed = false;
      },
      timedOut: (t) => t._timedOut,
      timeoutError: (t, own) => (t._socketTimeoutErrors ? own : "timeout"),
      block: (t, s, dir) => this.#block(t, s, dir),
      sleep: (t, seconds, now) => this.#sleep(t, seconds, now),
      fair: (t) => {
        if (++t._streak < FAIRNESS_INTERVAL) return false;
        t._streak = 0;
        return true;
      },
      report: (err, t, skt) => this.#report(err, t, skt),
      raw: (fn, skt) => this.#raw(fn, "skt", skt),
      adopt: (from, to, replace) => {
        // As Copas's ssl_wrap: the new socket keeps the settings, timeouts, name and autoclose.
        const old = from._slot as SocketState | null;
        const st = stateOf(to);
        if (old !== null) {
          st.name = old.name;
          st.to = old.to === null ? null : [old.to[0], old.to[1], old.to[2]];
        }
        const t = this.#current;
        if (replace && t !== null && t._autoclose === (from as unknown)) t._autoclose = to as unknown as { close(): unknown };
      },
      socketName: (s) => (s === null ? "nil" : ((s._slot as SocketState | null)?.name ?? String(s))),
      describeWait: (t) => this.#describeWait(t),
      trace: (line) => this.#trace?.line(line),
      setDebugHook: (h) => {
        this.#debug = h;
      },
      exitWait: (t) => this.#exitWait(t),
      exitLeave: (t) => this.#exitLeave(t),
      tls: (fn) => this.#tlsProvider(fn),
      spawn: (group, name, fn, args) => this.#spawn(group, name, fn as ThreadFn, args),
      killGroup: (group) => this.#killGroup(group),
    };
  }

  #tlsProvider(fn: string): TlsProvider {
    const p = this.#tls;
    if (p === null) {
      throw new TypeError(`${fn}: TLS is not available on this dispatcher's ${this.#network.kind} network (no TLS provider)`);
    }
    return p;
  }

  // ======================================================================================
  // Private machinery
  // ======================================================================================

  #getStepTime(): number {
    if (this.#stepTime < 0) this.#stepTime = this.#clock.now();
    return this.#stepTime;
  }

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

  /**
   * Parks `t` until `s` is readable (READ) or writable (WRITE), arming the socket's copas
   * timeout on the op's first wait.
   */
  #block(t: Thread, s: Selectable, dir: Direction): void {
    const st = (s._slot as SocketState | null) ?? stateOf(s);
    if (!t._armed) {
      t._armed = true;
      const to = st.to === null ? Infinity : st.to[t._toKind]!;
      if (to > 0 && to !== Infinity) this.#setTimeout(t, to, this.#socketTimeout);
    }
    t._socket = s;
    if (dir === READ) {
      t._state = State.Reading;
      if (enqueue(st, READ, t)) {
        if (!st.inR) this.#addReading(s, st);
        this.#watch(s, READ);
      }
    } else {
      t._state = State.Writing;
      if (enqueue(st, WRITE, t)) {
        if (!st.inW) {
          st.inW = true;
          this.#writing.add(s);
        }
        this.#watch(s, WRITE);
      }
    }
  }

  /** Parks `t` in the timer heap (> 0), the runnable list (0) or lethargy (< 0). */
  #sleep(t: Thread, seconds: number, now?: number): void {
    if (seconds > 0) {
      t._state = State.Sleeping;
      const e: TimerEntry = { time: (now ?? this.#clock.now()) + seconds, seq: 0, index: -1, thread: t, callback: null };
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

  #watch(s: Selectable, dir: Direction): void {
    if (dir === READ) {
      if (s._readable()) this.#readyR.push(s);
      else s._rw = this.#watcher;
    } else {
      if (s._writable()) this.#readyW.push(s);
      else s._ww = this.#watcher;
    }
  }

  #onReady(s: Selectable, dir: Direction): void {
    const st = s._slot as SocketState | null;
    if (st === null) return;
    if (dir === READ && st.handler !== null) {
      this.#accept(s, st);
      return;
    }
    const t = dequeue(st, dir);
    if (t === null) return;
    if (hasWaiter(st, dir)) this.#watch(s, dir);
    t._socket = null;
    if (this.#trace !== null) this.#trace.event("run", t, `${dir === READ ? "readable" : "writable"} ${this.getsocketname(s)}`);
    this.#resume(t, s);
    // Leaves the set only if no thread waits now: the one resumed usually waits again on this
    // socket (the next line), and then the set is not touched at all.
    if (!hasWaiter(st, dir)) {
      if (dir === READ) this.#deleteReading(s, st);
      else if (st.inW) {
        st.inW = false;
        this.#writing.delete(s);
      }
    }
  }

  #addReading(s: Selectable, st: SocketState): void {
    st.inR = true;
    this.#reading.add(s);
  }

  #deleteReading(s: Selectable, st: SocketState): void {
    if (!st.inR) return;
    st.inR = false;
    this.#reading.delete(s);
  }

  #accept(server: Selectable, sst: SocketState): void {
    const [client] = (server as unknown as { accept(): [Selectable | null, unknown] }).accept();
    if (this.#servers.has(server)) this.#watch(server, READ);
    if (client === null) return;
    const n = ++sst.clients;
    const sname = this.getsocketname(server);
    const cst = stateOf(client);
    cst.name = `${sname}:client_${n}`;
    if (sst.to !== null) cst.to = [sst.to[0], sst.to[1], sst.to[2]];
    (client as { settimeout?: (v: number) => unknown }).settimeout?.(0);
    const t = new Thread(`${sname}:handler_${n}`);
    if (sst.group !== null) this.#join(t, sst.group);
    if (this.#autoclose) t._autoclose = client as unknown as { close(): unknown };
    if (this.#trace !== null) this.#trace.event("run", t, `accept ${sname}`);
    this.#start(t, sst.handler as ThreadFn, [client], client);
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
    if (t._group !== null) this.#groups!.get(t._group)?.delete(t);
    t._gen = null;
    t._stack = null;
    if (t._timeout !== null) this.#cancelTimeout(t);
    if (this.#trace !== null) this.#trace.event(ok ? "end" : "error", t);
    if (!ok) this.#report(value, t, skt);
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

  /**
   * Tells the error handler. Whatever it does (throws, returns a Promise that rejects, is
   * handed a value without a prototype), the dispatcher goes on and says so on stderr.
   */
  #report(err: unknown, t: Thread | null, skt: unknown): void {
    const h = (t && t._errorHandler) || this.#defaultErrorHandler;
    try {
      const r = h(err, t, skt);
      if (isThenable(r)) r.then(undefined, (e: unknown) => this.#handlerFailed(e));
    } catch (e) {
      this.#handlerFailed(e);
    }
  }

  #handlerFailed(e: unknown): void {
    this.#stderr?.(`Failed executing error handler: ${messageOf(e)}\n`);
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
    if (this.#trace !== null) this.#trace.why(t, why);
    this.#runnable.push(t);
    if (this.#cont !== null || this.#inWaitCall) this.#wake(false);
  }

  /** Takes `t` out of whatever it waits on (not its timeout). */
  #detach(t: Thread): void {
    switch (t._state) {
      case State.Reading:
      case State.Writing: {
        const s = t._socket!;
        const st = s._slot as SocketState;
        const read = t._state === State.Reading;
        unqueue(st, read ? READ : WRITE, t);
        if (!hasWaiter(st, read ? READ : WRITE)) {
          if (read) {
            if (!st.handler) this.#deleteReading(s, st);
            if (s._rw === this.#watcher && !st.handler) s._rw = null;
          } else {
            if (st.inW) {
              st.inW = false;
              this.#writing.delete(s);
            }
            if (s._ww === this.#watcher) s._ww = null;
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

  #describeWait(t: Thread): WaitDescription {
    switch (t._state) {
      case State.Sleeping:
        return { kind: "sleep", seconds: t._sleep === null ? 0 : Math.round((t._sleep.time - this.#clock.now()) * 1e6) / 1e6 };
      case State.Runnable:
        return { kind: "sleep", seconds: 0 };
      case State.Lethargic:
        return { kind: "sleep", seconds: -1 };
      case State.Reading:
        return { kind: "read", socket: this.#kernel.socketName(t._socket) };
      case State.Writing:
        return { kind: "write", socket: this.#kernel.socketName(t._socket) };
      case State.Awaiting:
        return { kind: "await" };
      default:
        return { kind: "other", state: String(t._state) };
    }
  }
}

export { SUSPEND };
