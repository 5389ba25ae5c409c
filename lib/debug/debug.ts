// copas.debug (Copas 4.11's debug section): `start()` logs every resume, yield and exit of a
// thread; `socket(skt)` wraps a socket so each method call and its results are printed.
//
// The dispatcher calls the hook only when one is set (one null check per resume), so a
// dispatcher that never started debugging pays nothing else.

import type { Dispatcher } from "../core/dispatcher.js";
import { kernelOf, type DebugHook, type Kernel } from "../core/kernel.js";
import type { Thread } from "../core/trampoline.js";
import * as check from "../common/check.js";
import { DEBUG_ORIGINAL } from "../common/symbols.js";
import { Selectable } from "../socket/select.js";

export { DEBUG_ORIGINAL };

/** Receives one log line. */
export type DebugLogger = (line: string) => unknown;

const CORE_TIMER = "copas_core_timer";

const defaultLogger: DebugLogger = (line) => console.log(line);

/** Logs thread events as Copas's debug_resume, debug_yield and debug_create do. */
class ThreadLog implements DebugHook {
  readonly #k: Kernel;
  readonly #log: DebugLogger;
  readonly #core: boolean;

  constructor(k: Kernel, log: DebugLogger, core: boolean) {
    this.#k = k;
    this.#log = log;
    this.#core = core;
  }

  resume(t: Thread, skt: Selectable | null): void {
    if (skt !== null) this.#log(`resuming '${t.name}' for socket '${this.#k.socketName(skt)}'`);
    else if (this.#core || t.name !== CORE_TIMER) this.#log(`resuming '${t.name}'`);
  }

  yielded(t: Thread): void {
    if (!this.#core && t.name === CORE_TIMER) return;
    const name = t.name;
    const w = this.#k.describeWait(t);
    switch (w.kind) {
      case "sleep":
        this.#log(`yielding '${name}' to SLEEP for ${w.seconds} seconds`);
        break;
      case "read":
        this.#log(`yielding '${name}' to READ on '${w.socket}'`);
        break;
      case "write":
        this.#log(`yielding '${name}' to WRITE on '${w.socket}'`);
        break;
      case "await":
        this.#log(`yielding '${name}' to AWAIT a promise`);
        break;
      default:
        this.#log(`thread '${name}' yielding to unexpected queue; ${w.state}`);
    }
  }

  exit(t: Thread): void {
    this.#log(`exiting '${t.name}'`);
  }
}

// ---- debug.socket ----

/** Copas's names for the arguments and results of the common socket methods. */
const ARGS: Record<string, string[]> = {
  settimeout_in: ["socket ", "seconds", "mode   "],
  settimeout_out: ["success", "error  "],
  connect_in: ["socket ", "address", "port   "],
  connect_out: ["success", "error  "],
  send_in: ["socket   ", "data     ", "idx-start", "idx-end  "],
  send_out: ["last-idx-send    ", "error            ", "err-last-idx-send"],
  receive_in: ["socket ", "pattern", "prefix "],
  receive_out: ["received    ", "error       ", "partial data"],
  dirty_in: ["socket"],
  dirty_out: ["data in read-buffer"],
  close_in: ["socket"],
  close_out: ["success", "error"],
};

/** Lua's type name for a value, as Copas prints it. */
function luaType(v: unknown): string {
  if (v === null || v === undefined) return "nil";
  if (typeof v === "object") return v instanceof Selectable || typeof (v as { socket?: unknown }).socket === "object" ? "userdata" : "table";
  return typeof v;
}

function show(v: unknown): string {
  if (v === null || v === undefined) return "nil";
  if (v instanceof Uint8Array) return `[${v.length} bytes]`;
  return check.tostring(v);
}

/** Copas's print_call: the heading line, then one line per argument or result. */
function printCall(log: DebugLogger, key: string, head: string, values: unknown[]): void {
  log(head);
  const desc = ARGS[key] ?? [];
  const n = Math.max(values.length, desc.length);
  for (let i = 0; i < n; i++) {
    const v = values[i];
    const label = desc[i] ?? String(i + 1);
    if (typeof v === "string") {
      const x = v.length > 30 ? v.slice(0, 30) + "(...truncated)" : v;
      log(`\t${label}: '${x}' (string #${v.length})`);
    } else {
      log(`\t${label}: '${show(v)}' (${luaType(v)})`);
    }
  }
}

function isGenerator(v: unknown): v is Generator<unknown, unknown, unknown> {
  return typeof v === "object" && v !== null && typeof (v as { next?: unknown }).next === "function" && typeof (v as { throw?: unknown }).throw === "function";
}

/** The op of a debugged method: runs it, then prints its results. */
function* logged(log: DebugLogger, key: string, id: number, op: Generator<unknown, unknown, unknown>): Generator<unknown, unknown, unknown> {
  const r = yield* op;
  printCall(log, `${key}_out`, `${id}-results '${key}' returned; `, Array.isArray(r) ? r : [r]);
  return r;
}

/** Counts calls across all debug sockets (Copas's call_id). */
let callId = 0;

function debugSocket<S extends object>(skt: S, log: DebugLogger): S {
  const raw = skt instanceof Selectable;
  return new Proxy(skt, {
    get(target, key, receiver) {
      if (key === DEBUG_ORIGINAL) return target;
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== "function" || typeof key !== "string" || key.startsWith("_") || key === "toString" || key === "constructor") {
        return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      }
      void receiver;
      return (...args: unknown[]) => {
        const id = ++callId;
        printCall(log, `${key}_in`, `${id}-calling '${key}' with; `, [target, ...args]);
        const r = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (isGenerator(r)) return logged(log, key, id, r);
        printCall(log, `${key}_out`, `${id}-results '${key}' returned; `, Array.isArray(r) ? r : [r]);
        return r;
      };
    },
    // A debugged LuaSocket object is not taken for the socket itself: copas unwraps it through
    // DEBUG_ORIGINAL (its own fields are private to the real object).
    getPrototypeOf(target) {
      return raw ? Object.prototype : Reflect.getPrototypeOf(target);
    },
  });
}

/** `copas.debug`: logging of thread events and socket calls. */
export interface DebugModule {
  /**
   * Logs each resume, yield and exit of a thread, one line per event, to `logger` (default:
   * console.log). The thread "copas_core_timer" is left out unless `core` is true.
   *
   * @lua `copas.debug.start([logger [, core]])`
   */
  start(logger?: DebugLogger | null, core?: boolean): void;
  /**
   * Stops the thread log.
   *
   * @lua `copas.debug.stop()`
   */
  stop(): void;
  /**
   * A socket (LuaSocket object or copas-wrapped) whose every method call and result is printed
   * (to `logger`, default console.log). Ops print their results when they complete.
   *
   * @lua `copas.debug.socket(skt [, logger])`
   */
  socket<S extends object>(skt: S, logger?: DebugLogger | null): S;
}

/**
 * Makes `copas.debug` for a dispatcher.
 *
 * ```ts
 * copas.debug.start((line) => lines.push(line));
 * const skt = copas.debug.socket(copas.wrap(socket.tcp()));
 * ```
 */
export function makeDebugModule(d: Dispatcher): DebugModule {
  return {
    start(logger, core) {
      if (logger !== undefined && logger !== null) check.func("debug.start", "logger", logger);
      const k = kernelOf(d);
      k.setDebugHook(new ThreadLog(k, logger ?? defaultLogger, !!core));
    },
    stop() {
      kernelOf(d).setDebugHook(null);
    },
    socket(skt, logger) {
      if (typeof skt !== "object" || skt === null) check.fail("debug.socket", "skt", "a socket (LuaSocket object or copas.wrap)", skt);
      if (logger !== undefined && logger !== null) check.func("debug.socket", "logger", logger);
      return debugSocket(skt, logger ?? defaultLogger);
    },
  };
}
