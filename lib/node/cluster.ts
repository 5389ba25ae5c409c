// Every core: the same copas handlers on N worker processes sharing one listening port, with
// Node's own `node:cluster` (the primary holds the port and hands each new connection to a
// worker; on Linux round robin, see cluster.schedulingPolicy). A copas dispatcher is one thread,
// so this is how a server uses more than one core on one machine. For many machines, run one
// instance (or one cluster) per machine behind a TCP load balancer; see the README.
//
//   primary   forks the workers, restarts one that crashes (with a back-off when it crashes
//             at once), collects each worker's status() over IPC, and on SIGTERM/SIGINT shuts
//             them all down gracefully, then exits.
//   worker    runs `setup` (bind and add servers through the worker object), then the loop.
//             On SIGTERM (or the primary's word): stops accepting (its servers are removed,
//             so the primary sends it no new connection), calls exit() (threads in
//             waitforexit() resume, exiting() turns true), lets the threads finish, then exits.
//             Threads still running after `grace` seconds are cancelled (their sockets closed).

import nodeCluster from "node:cluster";
import { EventEmitter } from "node:events";
import os from "node:os";
import * as check from "../common/check.js";
import { realClock } from "./real-clock.js";

/** The part of a dispatcher the cluster helper drives (a `Copas`, or the default `copas`). */
export interface ClusterCopas {
  /** Serves a server socket (`w.addserver` calls it). */
  addserver(server: never, handler: never, timeout?: number | null, name?: string | null): void;
  /** Stops serving a server socket and closes it (the shutdown's first step). */
  removeserver(server: never, keepOpen?: boolean): unknown;
  /** The worker's loop. */
  loop(): Promise<void>;
  /** Tells the threads to finish (the shutdown's second step). */
  exit(): void;
  /** True once `exit()` was called. */
  exiting(): boolean;
  /** Cancels what still runs when the grace period is over. */
  cancelall(): void;
  /** The counts each worker reports to the primary. */
  status(): Record<string, number | boolean>;
}

/** The address a worker listens on. */
export interface ListenAddress {
  /** The IP address. */
  address: string;
  /** The port (the same for every worker of a port, even one bound to port 0). */
  port: number;
}

/** A worker as the primary names it. */
export interface WorkerInfo {
  /** Its slot, 0 .. workers-1; a restarted worker takes the slot of the one it replaces. */
  index: number;
  /** node:cluster's worker id (a new one for each fork). */
  id: number;
  /** Its process id. */
  pid: number;
}

/** The primary's events and what their listeners are given. */
export interface ClusterEvents {
  /** A worker process started. */
  online: [w: WorkerInfo];
  /** A worker listens on `address` (every worker of a port reports the same one). */
  listening: [w: WorkerInfo, address: ListenAddress];
  /** A worker ended: its exit code, or the signal that killed it. */
  exit: [w: WorkerInfo, code: number | null, signal: string | null];
  /** A worker that crashed is started again in its slot after `delay` seconds. */
  restart: [w: WorkerInfo, delay: number];
}

/** What `status()` of the primary gives for each worker. */
export interface WorkerReport extends WorkerInfo {
  /** Seconds since the worker started. */
  uptime: number;
  /** True once the worker is shutting down. */
  exiting: boolean;
  /** The worker dispatcher's `status()`; null when the worker did not answer in time. */
  status: Record<string, number | boolean> | null;
  /** Whatever the worker's `report()` option gave (null without one, or no answer). */
  report: unknown;
  /** The worker's `process.memoryUsage().heapUsed` (0 when it did not answer). */
  heapUsed: number;
}

/** Passed to `setup` in each worker process (and what `cluster()` gives there). */
export interface ClusterWorker {
  /** False: this is a worker. */
  readonly isPrimary: false;
  /** This worker's slot, 0 .. workers-1 (kept across restarts). */
  readonly index: number;
  /** node:cluster's worker id. */
  readonly id: number;
  /**
   * `copas.addserver(server, handler, timeout?, name?)`, remembered so that a shutdown first
   * stops accepting on it (removeserver closes it).
   */
  addserver(server: unknown, handler: unknown, timeout?: number | null, name?: string | null): void;
  /** Starts the graceful shutdown (as SIGTERM does). */
  shutdown(): void;
  /** Settles once the worker's loop has ended (the process exits right after). */
  readonly done: Promise<void>;
}

/** Options of `cluster()`; only `setup` is required. */
export interface ClusterOptions {
  /** The dispatcher each worker runs. Default: the default `copas`. */
  copas?: ClusterCopas;
  /** Worker processes. Default: os.availableParallelism() (one per core). */
  workers?: number;
  /** Runs in each worker before its loop: bind the port and add the servers (through `w.addserver`). */
  setup: (w: ClusterWorker) => unknown;
  /** Seconds a shutting-down worker's threads get to finish before they are cancelled. Default 10. */
  grace?: number;
  /** Restart a worker that crashed (exit code not 0, or a signal). Default true. */
  restart?: boolean;
  /** Handle SIGTERM and SIGINT (graceful shutdown, then exit). Default true. */
  signals?: boolean;
  /** In each worker: extra figures for the primary's `status()` (e.g. requests served). */
  report?: () => unknown;
}

/** What `cluster()` gives in the primary process. */
export interface ClusterPrimary {
  /** True: this is the primary. */
  readonly isPrimary: true;
  /** Listens to an event (see `ClusterEvents`). */
  on<E extends keyof ClusterEvents>(event: E, fn: (...args: ClusterEvents[E]) => void): this;
  /** Listens to the next time an event happens. */
  once<E extends keyof ClusterEvents>(event: E, fn: (...args: ClusterEvents[E]) => void): this;
  /** Stops listening. */
  off<E extends keyof ClusterEvents>(event: E, fn: (...args: ClusterEvents[E]) => void): this;
  /** Each live worker's report, collected over IPC (`timeout` seconds per worker, default 2). */
  status(timeout?: number): Promise<WorkerReport[]>;
  /** Shuts every worker down gracefully; settles when all have exited. */
  shutdown(): Promise<void>;
  /** The live workers. */
  workers(): WorkerInfo[];
  /** Settles once the cluster has shut down. */
  readonly closed: Promise<void>;
}

const TAG = "copas:cluster";
const INDEX_ENV = "COPAS_CLUSTER_INDEX";
/** A worker that dies sooner than this after starting is restarted after a growing delay. */
const MIN_UPTIME = 1;
const MAX_BACKOFF = 10;

interface Msg {
  [TAG]: "status" | "report" | "shutdown";
  seq?: number;
  report?: WorkerReport;
}

function isMsg(m: unknown): m is Msg {
  return typeof m === "object" && m !== null && TAG in m;
}

/**
 * Runs `options.setup` and the loop of `copas` on N worker processes sharing the ports they
 * bind. Call it once, at the top level of the program's main module (node:cluster runs that
 * module again in each worker). Gives a `ClusterPrimary` in the primary, a `ClusterWorker` in
 * a worker.
 */
export function runCluster(copas: ClusterCopas, options: ClusterOptions): ClusterPrimary | ClusterWorker {
  if (typeof options !== "object" || options === null) check.fail("cluster", "options", "an object", options);
  check.func("cluster", "options.setup", options.setup);
  const workers = options.workers ?? os.availableParallelism();
  if (!Number.isInteger(workers) || workers < 1) check.fail("cluster", "options.workers", "a whole number >= 1", workers);
  const grace = check.optSeconds("cluster", "options.grace", options.grace) ?? 10;
  if (options.report !== undefined) check.func("cluster", "options.report", options.report);
  return nodeCluster.isPrimary ? new Primary(workers, grace, options) : startWorker(copas, grace, options);
}

// ---- worker ------------------------------------------------------------------------------

function startWorker(copas: ClusterCopas, grace: number, options: ClusterOptions): ClusterWorker {
  const servers: unknown[] = [];
  const started = realClock.now();
  let stopping = false;
  let endLoop!: () => void;
  const done = new Promise<void>((resolve) => (endLoop = resolve));

  const shutdown = (): void => {
    if (stopping) return;
    stopping = true;
    // 1. Stop accepting: a closed server tells the primary to send this worker nothing more.
    for (const s of servers.splice(0)) copas.removeserver(s as never);
    // 2. Tell the threads (waitforexit() resumes, exiting() is true); 3. they finish, the loop ends.
    copas.exit();
    // Threads still busy after the grace period are cancelled (their sockets closed).
    if (grace !== Infinity) setTimeout(() => copas.cancelall(), grace * 1000).unref();
  };

  const w: ClusterWorker = {
    isPrimary: false,
    index: Number(process.env[INDEX_ENV] ?? 0),
    id: nodeCluster.worker?.id ?? 0,
    addserver(server, handler, timeout, name) {
      copas.addserver(server as never, handler as never, timeout, name);
      if (stopping) copas.removeserver(server as never);
      else servers.push(server);
    },
    shutdown,
    done,
  };

  if (options.signals !== false) {
    process.on("SIGTERM", shutdown);
    process.on("SIGINT", shutdown);
  }
  process.on("message", (m: unknown) => {
    if (!isMsg(m)) return;
    if (m[TAG] === "shutdown") shutdown();
    else if (m[TAG] === "status") {
      const report: WorkerReport = {
        index: w.index,
        id: w.id,
        pid: process.pid,
        uptime: realClock.now() - started,
        exiting: stopping,
        status: copas.status(),
        report: options.report ? options.report() : null,
        heapUsed: process.memoryUsage().heapUsed,
      };
      process.send?.({ [TAG]: "report", seq: m.seq, report } satisfies Msg);
    }
  });

  void (async () => {
    let code = 0;
    try {
      await options.setup(w);
      await copas.loop();
    } catch (e) {
      process.stderr.write(`copas cluster worker ${w.index}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      code = 1;
    }
    endLoop();
    process.exit(code);
  })();
  return w;
}

// ---- primary -----------------------------------------------------------------------------

interface Slot {
  index: number;
  worker: ReturnType<typeof nodeCluster.fork> | null;
  started: number;
  /** Restarts in a row that died young (back-off exponent). */
  quickDeaths: number;
  timer: NodeJS.Timeout | null;
}

class Primary implements ClusterPrimary {
  readonly isPrimary = true as const;
  readonly closed: Promise<void>;
  #events = new EventEmitter();
  #slots: Slot[] = [];
  #stopping = false;
  #seq = 0;
  /** Status requests waiting for their worker's answer, by sequence number. */
  #waiting = new Map<number, (r: WorkerReport | null) => void>();
  #closed!: () => void;
  #grace: number;
  #options: ClusterOptions;

  constructor(n: number, grace: number, options: ClusterOptions) {
    this.#grace = grace;
    this.#options = options;
    this.closed = new Promise<void>((resolve) => (this.#closed = resolve));
    if (options.signals !== false) {
      const onSignal = () => void this.shutdown().then(() => process.exit(0));
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    }
    for (let i = 0; i < n; i++) {
      const slot: Slot = { index: i, worker: null, started: 0, quickDeaths: 0, timer: null };
      this.#slots.push(slot);
      this.#fork(slot);
    }
  }

  on<E extends keyof ClusterEvents>(event: E, fn: (...args: ClusterEvents[E]) => void): this {
    this.#events.on(event, fn as (...a: unknown[]) => void);
    return this;
  }

  once<E extends keyof ClusterEvents>(event: E, fn: (...args: ClusterEvents[E]) => void): this {
    this.#events.once(event, fn as (...a: unknown[]) => void);
    return this;
  }

  off<E extends keyof ClusterEvents>(event: E, fn: (...args: ClusterEvents[E]) => void): this {
    this.#events.off(event, fn as (...a: unknown[]) => void);
    return this;
  }

  workers(): WorkerInfo[] {
    return this.#slots.filter((s) => s.worker !== null).map(info);
  }

  status(timeout = 2): Promise<WorkerReport[]> {
    const asks = this.#slots
      .filter((s) => s.worker !== null && s.worker.isConnected())
      .map((s) => {
        const wk = s.worker!;
        const id = ++this.#seq;
        const none: WorkerReport = { ...info(s), uptime: realClock.now() - s.started, exiting: this.#stopping, status: null, report: null, heapUsed: 0 };
        return new Promise<WorkerReport>((resolve) => {
          const t = setTimeout(() => {
            this.#waiting.delete(id);
            resolve(none);
          }, timeout * 1000);
          this.#waiting.set(id, (r) => {
            clearTimeout(t);
            resolve(r ?? none);
          });
          wk.send({ [TAG]: "status", seq: id } satisfies Msg);
        });
      });
    return Promise.all(asks);
  }

  shutdown(): Promise<void> {
    if (this.#stopping) return this.closed;
    this.#stopping = true;
    for (const s of this.#slots) {
      if (s.timer !== null) {
        clearTimeout(s.timer);
        s.timer = null;
      }
      const wk = s.worker;
      if (wk === null) continue;
      wk.send({ [TAG]: "shutdown" } satisfies Msg);
      // A worker that does not end in its grace period (plus a margin) is killed.
      if (this.#grace !== Infinity) setTimeout(() => wk.process.kill("SIGKILL"), (this.#grace + 5) * 1000).unref();
    }
    this.#finishIfEmpty();
    return this.closed;
  }

  #fork(slot: Slot): void {
    slot.timer = null;
    const wk = nodeCluster.fork({ [INDEX_ENV]: String(slot.index) });
    slot.worker = wk;
    slot.started = realClock.now();
    const me: WorkerInfo = { index: slot.index, id: wk.id, pid: wk.process.pid! };
    wk.on("online", () => this.#events.emit("online", me));
    wk.on("listening", (address) => this.#events.emit("listening", me, address));
    wk.on("message", (m: unknown) => {
      if (!isMsg(m) || m[TAG] !== "report" || m.seq === undefined) return;
      const cb = this.#waiting.get(m.seq);
      if (cb) {
        this.#waiting.delete(m.seq);
        cb(m.report ?? null);
      }
    });
    wk.on("exit", (code: number | null, signal: string | null) => {
      slot.worker = null;
      this.#events.emit("exit", me, code, signal);
      const crashed = code !== 0 || signal !== null;
      if (this.#stopping || !crashed || this.#options.restart === false) {
        this.#finishIfEmpty();
        return;
      }
      // A worker that dies young is restarted after a growing delay (a crash loop must not spin).
      const lived = realClock.now() - slot.started;
      slot.quickDeaths = lived < MIN_UPTIME ? slot.quickDeaths + 1 : 0;
      const delay = slot.quickDeaths === 0 ? 0 : Math.min(MAX_BACKOFF, 0.1 * 2 ** (slot.quickDeaths - 1));
      this.#events.emit("restart", me, delay);
      slot.timer = setTimeout(() => this.#fork(slot), delay * 1000);
    });
  }

  /** Settles `closed` once no worker runs and none is about to be restarted. */
  #finishIfEmpty(): void {
    if (!this.#slots.every((s) => s.worker === null && s.timer === null)) return;
    for (const cb of this.#waiting.values()) cb(null);
    this.#waiting.clear();
    this.#closed();
  }
}

function info(s: Slot): WorkerInfo {
  return { index: s.index, id: s.worker!.id, pid: s.worker!.process.pid! };
}
