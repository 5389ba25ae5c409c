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
      const ctor = (v as object).constructor;
      return ctor && ctor.name ? `an object (${ctor.name})` : "an object";
    }
  }
}

export function fail(fn: string, arg: string, accepts: string, got: unknown): never {
  throw new TypeError(`${fn}: bad argument '${arg}' (expected ${accepts}, got ${describe(got)})`);
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
