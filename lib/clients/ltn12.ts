// LTN12, the part of it the protocol clients use (as LuaSocket's ltn12.lua): sources make
// chunks, sinks take them, pumps move chunks from one to the other.
//
//   source  () => chunk | null                  null: the end; `[null, err]` or a throw: failure
//   sink    (chunk | null, err?) => 1 | [null, err]
//                                               null chunk: the end; a falsy result stops the pump
//
// Chunks are Lua strings (one char per byte); `Uint8Array` chunks pass through untouched.

import * as check from "../common/check.js";
import type { Data } from "../common/types.js";

/** A source: gives the next chunk on each call, `null` at the end, or `[null, err]` on failure. */
export type Source = () => Data | null | undefined | [null, string | null | undefined];

/** What a sink answers: `1` (or any truthy value) to go on, `[null, err]` (or falsy) to stop. */
export type SinkResult = unknown;

/** A sink: takes a chunk (`null` at the end, with the source's error if any). */
export type Sink = (chunk: Data | null, err?: string | null) => SinkResult;

/** `[1, null]` when everything was moved, `[null, err]` on failure. */
export type PumpResult = [1, null] | [null, string];

/** Size of the chunks `source.string` makes (LuaSocket's `ltn12.BLOCKSIZE`). */
export const BLOCKSIZE = 2048;

/** Splits a value that may be a Lua-style `value, err` tuple. */
function split(r: unknown): [unknown, string | null] {
  if (Array.isArray(r)) return [r[0] ?? null, (r[1] as string | null | undefined) ?? null];
  return [r ?? null, null];
}

function stringSource(s?: Data | null): Source {
  if (s === undefined || s === null) return emptySource();
  if (typeof s !== "string" && !(s instanceof Uint8Array)) check.fail("ltn12.source.string", "s", "a string, a Uint8Array, null or undefined", s);
  const text = typeof s === "string" ? s : Buffer.from(s.buffer, s.byteOffset, s.byteLength).toString("latin1");
  let i = 0;
  return () => {
    if (i >= text.length) return null;
    const chunk = text.slice(i, i + BLOCKSIZE);
    i += BLOCKSIZE;
    return chunk;
  };
}

function emptySource(): Source {
  return () => null;
}

function tableSink<T extends Data[]>(t?: T | null): [Sink, T] {
  if (t !== undefined && t !== null && !Array.isArray(t)) check.fail("ltn12.sink.table", "t", "an array, null or undefined", t);
  const out = (t ?? []) as T;
  const sink: Sink = (chunk) => {
    if (chunk !== null && chunk !== undefined) out.push(chunk);
    return 1;
  };
  return [sink, out];
}

function nullSink(): Sink {
  return () => 1;
}

/** Moves one chunk: `[1, null]` while there is more, `[null, err]` at the end (err null) or on failure. */
function step(src: Source, snk: Sink): [1, null] | [null, string | null] {
  const [chunk, srcErr] = split(src());
  const [ret, snkErr] = split(snk(chunk as Data | null, srcErr));
  if (chunk !== null && ret) return [1, null];
  return [null, srcErr ?? snkErr];
}

/** Moves every chunk: `[1, null]`, or `[null, err]` when the source or the sink failed. */
function all(src: Source, snk: Sink, stepper?: typeof step | null): PumpResult {
  check.func("ltn12.pump.all", "src", src);
  check.func("ltn12.pump.all", "snk", snk);
  if (stepper !== undefined && stepper !== null) check.func("ltn12.pump.all", "step", stepper);
  const f = stepper ?? step;
  for (;;) {
    const r = f(src, snk);
    if (!Array.isArray(r)) check.fail("ltn12.pump.all", "step", "a function giving [1, null] or [null, err]", r);
    const [ret, err] = r;
    if (!ret) return err !== null && err !== undefined ? [null, err] : [1, null];
  }
}

/** LTN12: `ltn12.source`, `ltn12.sink`, `ltn12.pump` (as `copas.ltn12`). */
export interface Ltn12Module {
  /** Bytes per chunk of `source.string` (2048). */
  BLOCKSIZE: number;
  /** Sources: functions giving a chunk per call, then `null`. */
  source: {
    /** A source giving `s` in chunks of BLOCKSIZE (nothing for null or ""). */
    string(s?: Data | null): Source;
    /** A source with nothing in it. */
    empty(): Source;
  };
  /** Sinks: functions taking a chunk per call, then `null`. */
  sink: {
    /** A sink pushing each chunk onto `t` (a new array when omitted): `[sink, t]`. */
    table<T extends Data[]>(t?: T | null): [Sink, T];
    /** A sink dropping everything. */
    null(): Sink;
  };
  /** Pumps: move chunks from a source to a sink. */
  pump: {
    /** Moves one chunk: `[1, null]`, or `[null, err]` at the end (`err` null) or on an error. */
    step(src: Source, snk: Sink): [1, null] | [null, string | null];
    /** Moves every chunk (with `step`, default `pump.step`): `[1, null]` or `[null, err]`. */
    all(src: Source, snk: Sink, step?: ((src: Source, snk: Sink) => [1, null] | [null, string | null]) | null): PumpResult;
  };
}

/**
 * The LTN12 subset, one object shared by every dispatcher (it does not use the dispatcher).
 *
 * ```ts
 * const [sink, parts] = copas.ltn12.sink.table();
 * copas.ltn12.pump.all(copas.ltn12.source.string("hello"), sink); // [1, null]
 * parts.join(""); // "hello"
 * ```
 */
export const ltn12: Ltn12Module = {
  BLOCKSIZE,
  source: { string: stringSource, empty: emptySource },
  sink: { table: tableSink, null: nullSink },
  pump: {
    step(src, snk) {
      check.func("ltn12.pump.step", "src", src);
      check.func("ltn12.pump.step", "snk", snk);
      return step(src, snk);
    },
    all,
  },
};
