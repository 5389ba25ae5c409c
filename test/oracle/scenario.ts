// The oracle's scenario model: a scenario is data (steps), run by two small drivers, one on Lua
// Copas 4.11 (driver.lua) and one on this port (driver.ts), against the same scripted peer
// (peer.ts). Every step that prints writes one line "<sid> <result>"; the harness compares the
// two runs line by line.
//
// Values inside steps are JSON values; `{ rep, n }` stands for `rep` repeated n times (big data
// without big files). Step ids (sid) are given by `number()`: "3", "3.A.2" (step 2 of the thread
// spawned by step 3), so a difference points at the step that printed it.

/** Data: a string (one char per byte), or a string repeated n times. */
export type Data = string | { rep: string; n: number };

/** A JSON value as an argument of `call` (`"$S"`: the data socket; `"$fn"`: a function). */
export type Arg = string | number | boolean | null | { [k: string]: Arg } | Arg[];

export interface BaseStep {
  op: string;
  /** Given by number(): the step's id, printed with its result. */
  sid?: string;
  /** On socket ops: use copas.wrap(S) (the wrapped object's methods). */
  w?: boolean;
  /** Print numbers of the result coarsely (0, "n>0"): amounts the kernel decides. */
  coarse?: boolean;
  [k: string]: unknown;
}

export type Step = BaseStep;

export interface Scenario {
  name: string;
  /** How the data socket S is made: a client connected to the peer, or accepted from it. */
  socket?: "client" | "server";
  /** The name given to the server (addserver's 4th argument), in "server" mode. */
  server?: string;
  /** Client mode over TLS: the peer listens with TLS, the driver handshakes with these LuaSec params. */
  tls?: Record<string, unknown>;
  steps: Step[];
  /** Why this scenario is in the list (printed on a difference). */
  about?: string;
}

/** Gives every step (and nested step list) its sid. Returns the scenario. */
export function number(s: Scenario): Scenario {
  const walk = (steps: Step[], prefix: string) => {
    steps.forEach((st, i) => {
      st.sid = prefix + String(i + 1);
      for (const key of ["steps", "cb", "worker"]) {
        const sub = st[key];
        if (Array.isArray(sub)) walk(sub as Step[], `${st.sid}.${key === "steps" ? (st.id ?? "T") : key}.`);
      }
    });
  };
  walk(s.steps, "");
  return s;
}

/** Finds the step with that sid (for reports). */
export function findStep(s: Scenario, sid: string): Step | undefined {
  let found: Step | undefined;
  const walk = (steps: Step[]) => {
    for (const st of steps) {
      if (st.sid === sid) found = st;
      for (const key of ["steps", "cb", "worker"]) if (Array.isArray(st[key])) walk(st[key] as Step[]);
    }
  };
  walk(s.steps);
  return found;
}

/** A short text of a step, for reports: `receive pattern="*l" prefix="ab"`. */
export function describeStep(st: Step): string {
  const parts = [st.op];
  for (const [k, v] of Object.entries(st)) {
    if (k === "op" || k === "sid" || k === "steps" || k === "cb" || k === "worker") continue;
    let text = JSON.stringify(v);
    if (text.length > 60) text = text.slice(0, 57) + "...";
    parts.push(`${k}=${text}`);
  }
  return parts.join(" ");
}

/** Expands data: `{ rep, n }` to the repeated string. */
export function expand(d: unknown): unknown {
  if (d && typeof d === "object" && !Array.isArray(d) && typeof (d as { rep?: unknown }).rep === "string") {
    const { rep, n } = d as { rep: string; n: number };
    return rep.repeat(n);
  }
  return d;
}

/**
 * The scenario as a Lua chunk for driver.lua: `return function(NULL) return {...} end`, where
 * JSON null becomes the driver's NULL sentinel (a Lua table cannot hold nil) and arrays carry
 * their length in `n`.
 */
export function toLua(s: Scenario): string {
  return `return function(NULL) return ${luaValue(s)} end\n`;
}

function luaString(v: string): string {
  let out = '"';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c > 255) throw new Error(`scenario data must be bytes (one char per byte), got U+${c.toString(16)}`);
    if (c >= 0x20 && c < 0x7f && c !== 0x22 && c !== 0x5c) out += v[i];
    else out += "\\" + String(c).padStart(3, "0");
  }
  return out + '"';
}

function luaValue(v: unknown): string {
  if (v === null || v === undefined) return "NULL";
  switch (typeof v) {
    case "string":
      return luaString(v);
    case "number":
      if (v === Infinity) return "math.huge";
      if (v === -Infinity) return "-math.huge";
      if (Number.isNaN(v)) return "(0/0)";
      return Number.isInteger(v) ? String(v) : v.toPrecision(17);
    case "boolean":
      return String(v);
  }
  if (Array.isArray(v)) {
    const items = v.map((x, i) => `[${i + 1}]=${luaValue(x)}`);
    return `{n=${v.length}${items.length ? ", " + items.join(", ") : ""}}`;
  }
  const fields = Object.entries(v as object)
    .filter(([, x]) => x !== undefined)
    .map(([k, x]) => `[${luaString(k)}]=${luaValue(x)}`);
  return `{${fields.join(", ")}}`;
}
