// Property tests over the public API's bad inputs (issue 10): for every op and constructor, a
// parameter is given arbitrary values (wrong types, NaN, infinities, negative and huge numbers,
// CR/LF/NUL strings, odd objects) with the others valid. Each case states the values the
// parameter accepts; then the property is:
//   accepted value  -> no TypeError naming it, no other exception (an op runs without crashing)
//   anything else   -> a TypeError naming the parameter, at the call or when the op starts
// and never a hang (ops run a bounded number of steps on virtual time, then are removed) nor an
// unhandled rejection. Seeded and bounded, so every run is the same.

import { expect } from "chai";
import fc from "fast-check";
import { Copas, type AnySocket, type CopasSocket, type Thread } from "copas";
import { ManualClock, SimNetwork } from "copas/sim";

/** The seed of every property (a failure prints it with the counterexample's path). */
export const SEED = 0x5eed10;
/** Samples per parameter. */
export const RUNS = Number(process.env.PROPERTY_RUNS ?? 40);
/** PROPERTY_STRICT=1: ignore `pending` (to list what is still open elsewhere). */
const STRICT = process.env.PROPERTY_STRICT === "1";
/** Steps an op may take before it counts as waiting (virtual time never moves by itself here). */
const STEPS = 30;

const SPECIAL: unknown[] = [
  NaN, Infinity, -Infinity, -1, -0.5, 0.5, 0, -0, 1, 2, 3.7, 65535, 65536, 2 ** 31, 2 ** 32, 2 ** 53, 1e308, -1e308,
  null, undefined, true, false,
  "", " ", "1", "-1", "NaN", "abc", "*l", "*a", "\r\n", "a\r\nb", "a\nb", "a\rb", "a\0b", "\0",
  10n, Symbol("s"), () => 1, function* () {}, {}, [], [1, 2], Object.create(null), new Date(0), new Uint8Array(3), /re/,
];

/** Arbitrary values a careless or hostile caller may pass. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...SPECIAL) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.string({ maxLength: 4 }), fc.constantFrom("\r", "\n", "\r\n", "\0"), fc.string({ maxLength: 4 }))
      .map(([a, b, c]) => a + b + c),
  },
  { weight: 1, arbitrary: fc.array(fc.oneof(fc.integer(), fc.string({ maxLength: 3 })), { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 3 }), fc.oneof(fc.integer(), fc.string({ maxLength: 3 })), { maxKeys: 2 }) },
);

// What parameters accept, as predicates.
export const isNil = (v: unknown): boolean => v === undefined || v === null;
export const isNum = (v: unknown): v is number => typeof v === "number" && !Number.isNaN(v);
export const optNum = (v: unknown): boolean => isNil(v) || isNum(v);
/** Seconds: >= 0, Infinity allowed (no limit). */
export const optSeconds = (v: unknown): boolean => isNil(v) || (isNum(v) && v >= 0);
/** A count: finite, >= 0. */
export const optCount = (v: unknown): boolean => isNil(v) || (isNum(v) && v >= 0 && v !== Infinity);
export const isStr = (v: unknown): v is string => typeof v === "string";
export const optStr = (v: unknown): boolean => isNil(v) || isStr(v);
export const isFn = (v: unknown): boolean => typeof v === "function";
export const optFn = (v: unknown): boolean => isNil(v) || isFn(v);
export const isPort = (v: unknown): boolean => (typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 65535) || (typeof v === "string" && /^\d+$/.test(v) && Number(v) <= 65535);
export const clean = (v: unknown): boolean => isStr(v) && !/[\r\n\0]/.test(v);
export const any = (): boolean => true;

/** A dispatcher on a ManualClock that never advances by itself, and a SimNetwork. */
export interface World {
  copas: Copas;
  clock: ManualClock;
  net: SimNetwork;
  /** A connected TCP pair on the sim: [client, accepted] (fresh per call). */
  pair(): Promise<[AnySocket, AnySocket]>;
  /** A UDP socket bound on the sim. */
  udp(): Promise<AnySocket>;
}

let hosts = 0;

export function world(): World {
  const clock = new ManualClock();
  const net = new SimNetwork({ clock });
  const copas = new Copas({ network: net });
  const w: World = {
    copas,
    clock,
    net,
    async pair() {
      const host = `10.9.${(++hosts >> 8) & 255}.${hosts & 255}`;
      const [server, err] = await net.socket.bind(host, 1);
      if (server === null) throw new Error(String(err));
      const client = net.socket.tcp();
      let accepted: AnySocket | null = null;
      copas.addthread(function* () {
        yield* copas.connect(client, host, 1);
      });
      for (let i = 0; i < 50 && accepted === null; i++) {
        await copas.step(0);
        const [a] = server.accept();
        if (a !== null) accepted = a;
      }
      server.close();
      if (accepted === null) throw new Error("sim accept failed");
      for (let i = 0; i < 5; i++) await copas.step(0);
      return [client, accepted];
    },
    async udp() {
      const u = net.socket.udp();
      await u.setsockname(`10.8.${(++hosts >> 8) & 255}.${hosts & 255}`, 1);
      return u;
    },
  };
  return w;
}

export type Outcome = { kind: "value"; value: unknown } | { kind: "threw"; error: unknown } | { kind: "waiting" };

function isIterator(v: unknown): v is Generator {
  return typeof v === "object" && v !== null && typeof (v as Generator).next === "function" && typeof (v as Generator).throw === "function";
}

/**
 * Calls `call()`; when it gives an op (a generator), runs it as a copas thread for at most
 * STEPS steps and then removes that thread. With `inThread`, the call itself is made inside
 * a thread (for functions that need a running thread).
 */
export async function attempt(w: World, call: () => unknown, inThread = false): Promise<Outcome> {
  let out: Outcome = { kind: "waiting" };
  let r: unknown;
  if (!inThread) {
    try {
      r = call();
    } catch (e) {
      return { kind: "threw", error: e };
    }
    if (r instanceof Promise) {
      try {
        return { kind: "value", value: await withTimeout(r) };
      } catch (e) {
        return { kind: "threw", error: e };
      }
    }
    if (!isIterator(r)) return { kind: "value", value: r };
  }
  const t: Thread = w.copas.addthread(function* () {
    try {
      let v = inThread ? call() : r;
      if (isIterator(v)) v = yield* v as Generator<unknown, unknown, unknown>;
      out = { kind: "value", value: v };
    } catch (e) {
      out = { kind: "threw", error: e };
    }
  });
  for (let i = 0; i < STEPS && out.kind === "waiting"; i++) await w.copas.step(0);
  if (t.status() !== "dead") {
    w.copas.removethread(t);
    for (let i = 0; i < 5 && t.status() !== "dead"; i++) await w.copas.step(0);
  }
  return out;
}

/** A Promise from the API (bind, listen, ...) on the sim must settle promptly. */
function withTimeout<T>(p: Promise<T>): Promise<T> {
  return Promise.race([p, new Promise<T>((_r, rej) => setTimeout(() => rej(new Error("hang: the promise did not settle in 2 s")), 2000))]);
}

/** One parameter of one function. */
export interface Case {
  /** e.g. "semaphore.new(max)". */
  name: string;
  /** The argument's name as the TypeError gives it, e.g. "max" or "params.port". */
  arg: string;
  /** Other names a TypeError may give for it (a URL string given as `reqt` is named 'url'). */
  alsoNamed?: string[];
  /** What the parameter accepts. */
  valid: (v: unknown) => boolean;
  /**
   * Values another engineer's open work decides (named in a comment at the case): either
   * outcome passes, but never a crash other than a TypeError.
   */
  pending?: (v: unknown) => boolean;
  /** Exceptions the contract documents (e.g. timeout(-1): RangeError; Copas's own messages). */
  documented?: (v: unknown, e: unknown) => boolean;
  /** Values (default: anyValue). */
  values?: fc.Arbitrary<unknown>;
  /** Makes the call with `v` for the parameter (may return an op or a Promise); `ctx` from `prepare`. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call: (w: World, v: unknown, ctx: any) => unknown;
  /** Resources the call needs (sockets, a semaphore, ...), made once per case, or per sample with `fresh`. */
  prepare?: (w: World) => unknown;
  fresh?: boolean;
  /** The call needs a running thread. */
  inThread?: boolean;
  /** A check of the value an accepted call gave (e.g. a result tuple). */
  result?: (value: unknown) => boolean;
}

function describeValue(v: unknown): string {
  const s = fc.stringify(v);
  return s.length > 160 ? s.slice(0, 160) + "..." : s;
}

/** A TypeError naming the argument, or a part of it ('opts.delay' names 'opts'). */
export function namesArg(e: unknown, arg: string): boolean {
  if (!(e instanceof TypeError)) return false;
  const m = e.message;
  return m.includes(`'${arg}'`) || m.includes(`'${arg}.`) || m.includes(`'${arg}[`);
}

/** Runs the property of one case (a mocha `it` each). */
export function property(c: Case, setup: () => World = world): void {
  it(`${c.name}: ${c.arg}`, async () => {
    const w = setup();
    const rejections: unknown[] = [];
    const onRejection = (r: unknown) => rejections.push(r);
    process.on("unhandledRejection", onRejection);
    try {
      let ctx: unknown = c.prepare && !c.fresh ? await c.prepare(w) : undefined;
      await fc.assert(
        fc.asyncProperty(c.values ?? anyValue, async (v) => {
          if (c.prepare && c.fresh) ctx = await c.prepare(w);
          const out = await attempt(w, () => c.call(w, v, ctx), c.inThread);
          const what = `${c.name} with ${c.arg} = ${describeValue(v)}`;
          if (!STRICT && c.pending?.(v)) {
            if (out.kind === "threw" && !(out.error instanceof TypeError)) expect.fail(`${what}: threw ${String(out.error)}`);
            return;
          }
          if (c.valid(v)) {
            if (out.kind === "threw") {
              if (c.documented?.(v, out.error)) return;
              expect.fail(`${what}: an accepted value, but it threw ${out.error instanceof Error ? out.error.stack : describeValue(out.error)}`);
            }
            if (out.kind === "value" && c.result && !c.result(out.value)) expect.fail(`${what}: gave ${describeValue(out.value)}`);
          } else {
            if (out.kind !== "threw") expect.fail(`${what}: accepted silently (${out.kind === "value" ? "gave " + describeValue(out.value) : "the op is waiting"})`);
            const named = namesArg(out.error, c.arg) || (c.alsoNamed ?? []).some((a) => namesArg(out.error, a)) || !!c.documented?.(v, out.error);
            if (!named) {
              expect.fail(`${what}: expected a TypeError naming '${c.arg}', got ${out.error instanceof Error ? `${out.error.name}: ${out.error.message}` : describeValue(out.error)}`);
            }
          }
        }),
        // Every special value first (fast-check's examples, which count in numRuns), then RUNS drawn ones.
        { seed: SEED, numRuns: RUNS + (c.values ? 0 : SPECIAL.length), endOnFailure: true, examples: c.values ? [] : SPECIAL.map((v) => [v] as [unknown]) },
      );
      await new Promise((r) => setImmediate(r));
      expect(rejections, "unhandled rejections").to.deep.equal([]);
    } finally {
      process.off("unhandledRejection", onRejection);
      w.copas.cancelall();
    }
  });
}

/** True for a result tuple: an array whose first element is null when it failed, with a string error. */
export function tuple(v: unknown): boolean {
  return Array.isArray(v) && (v[0] !== null || typeof v[1] === "string");
}

export type { CopasSocket };
