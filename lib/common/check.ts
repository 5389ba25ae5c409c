// Argument checks shared by every public function. Each throws a TypeError that names the
// argument and says what is accepted, where Copas would return `nil, msg` or raise.

/** Describes a value for an error message: `a string ("x")`, `a number (3)`, `null`, ... */
export function describe(v: unknown): string {
  if (v === null) return "null";
  if (v === undefined) return "undefined";
  switch (typeof v) {
    case "string":
      return `a string (${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "..." : v)})`;
    case "number":
    case "boolean":
    case "bigint":
      return `a ${typeof v} (${String(v)})`;
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
    default: {
      const ctor = v.constructor;
      return ctor && ctor.name ? `an object (${ctor.name})` : "an object";
    }
  }
}

/** A value as Lua's tostring() writes it, for Copas's texts ("got: -1"). */
function luaTostring(v: unknown): string {
  if (v === null || v === undefined) return "nil";
  if (typeof v === "number") {
    if (Number.isInteger(v)) return String(v);
    if (v === Infinity) return "inf";
    if (v === -Infinity) return "-inf";
    if (Number.isNaN(v)) return "nan";
    return String(Number(v.toPrecision(14)));
  }
  if (typeof v === "string" || typeof v === "boolean") return String(v);
  return typeof v === "function" ? "function" : "table";
}

/**
 * Copas's own assert and error texts, by "<function>:<argument>": a port's TypeError for that
 * argument ends with "[Copas: <text>]", so code (and people) matching Copas's message still
 * match. The oracle (test/oracle) checks these against Copas 4.11.
 */
const COPAS_TEXTS: Record<string, string | ((got: unknown) => string)> = {
  "seterrorhandler:fn": "Expected the handler to be a function, or nil",
  "setthreadname:name": "expected arg #1 to be a string",
  "setthreadname:thread": "expected arg #2 to be a coroutine or nil",
  "getthreadname:thread": "expected arg #1 to be a coroutine or nil",
  "setsocketname:name": "expected arg #1 to be a string",
  "setsocketname:skt": "expected arg #2 to be a socket",
  "getsocketname:skt": "expected arg #1 to be a socket",
  "settimeout:t": "timeout must be 'nil' or a number",
  "settimeouts:connect": "connect timeout must be 'nil' or a number",
  "settimeouts:send": "send timeout must be 'nil' or a number",
  "settimeouts:receive": "read timeout must be 'nil' or a number",
  "semaphore.new:max": (v) => `expected max resources (1st argument) to be a number greater than 0, got: ${luaTostring(v)}`,
  "semaphore.new:timeout": (v) => `expected timeout (2nd argument) to be a number greater than or equal to 0, got: ${luaTostring(v)}`,
  "lock.new:timeout": (v) => `expected timeout (1st argument) to be a number greater than or equal to 0, got: ${luaTostring(v)}`,
  "timer.new:opts.delay": "delay must be greater than or equal to 0",
  "timer.new:opts.initial_delay": "delay must be greater than or equal to 0",
  "timer.new:opts.callback": "expected callback to be a function",
  "timer.arm:initialDelay": "delay must be greater than or equal to 0",
  "queue.add_worker:worker": "expected worker to be a function",
  "wrap:sslparams": (v) => `ssl parameters; did not expect type ${luaTostring(v)}`,
  "handler:sslparams": (v) => `ssl parameters; did not expect type ${luaTostring(v)}`,
  "dohandshake:sslparams": (v) => `ssl parameters; did not expect type ${luaTostring(v)}`,
};

/** Copas's text for that argument of that function, or "". */
export function copasText(fn: string, arg: string, got: unknown): string {
  const t = COPAS_TEXTS[`${fn}:${arg}`];
  return t === undefined ? "" : typeof t === "string" ? t : t(got);
}

/**
 * Lua's `tostring` for a message: any value as `String` gives it. Deliberately also objects
 * without a `toString` of their own ("[object Object]", where Lua says "table: 0x...").
 */
export function tostring(v: unknown): string {
  return String(v);
}

export function fail(fn: string, arg: string, accepts: string, got: unknown): never {
  const copas = copasText(fn, arg, got);
  throw new TypeError(`${fn}: bad argument '${arg}' (expected ${accepts}, got ${describe(got)})${copas ? ` [Copas: ${copas}]` : ""}`);
}

/** `undefined`/`null` or a number that is not NaN. */
export function optNumber(fn: string, arg: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || Number.isNaN(v)) fail(fn, arg, "a number, null or undefined", v);
  return v;
}

export function number(fn: string, arg: string, v: unknown): number {
  if (typeof v !== "number" || Number.isNaN(v)) fail(fn, arg, "a number", v);
  return v;
}

/** A number that is neither NaN nor infinite. */
export function finite(fn: string, arg: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isFinite(v)) fail(fn, arg, "a finite number", v);
  return v;
}

export function string(fn: string, arg: string, v: unknown): string {
  if (typeof v !== "string") fail(fn, arg, "a string", v);
  return v;
}

export function func(fn: string, arg: string, v: unknown): (...a: unknown[]) => unknown {
  if (typeof v !== "function") fail(fn, arg, "a function (a generator function or a plain one)", v);
  return v as (...a: unknown[]) => unknown;
}

export function port(fn: string, arg: string, v: unknown): number {
  if (typeof v === "string" && /^\d+$/.test(v)) v = Number(v);
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 65535) {
    fail(fn, arg, "a port number from 0 to 65535", v);
  }
  return v;
}

/** `undefined`/`null`, or seconds: a number >= 0 (`Infinity` allowed: no limit). */
export function optSeconds(fn: string, arg: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !(v >= 0)) fail(fn, arg, "a number >= 0 (seconds; Infinity: no limit), null or undefined", v);
  return v;
}

/** `undefined`/`null`, or a finite number >= 0 (a count of resources). */
export function optCount(fn: string, arg: string, v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !(v >= 0) || v === Infinity) fail(fn, arg, "a finite number >= 0, null or undefined", v);
  return v;
}

/** A bound set on a module (`http.MAXLINE`, ...): an integer >= `min`, finite (a bound, never "none"). */
export function bound(fn: string, arg: string, v: unknown, min = 1): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) fail(fn, arg, `an integer >= ${min} (a finite bound)`, v);
  return v;
}

/** True for an object used as a table: a plain object or one without a prototype (not an array, Date, ...). */
export function isTable(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const p: unknown = Object.getPrototypeOf(v);
  return p === Object.prototype || p === null;
}
