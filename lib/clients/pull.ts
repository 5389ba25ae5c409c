// Calling LTN12 sources and sinks from an op: a source or sink may be a plain function
// (lib/ltn12.ts) or a generator function (an op that waits on copas). Used by the clients.

import type { Sink, Source } from "./ltn12.js";
import type { Data, Op } from "../common/types.js";
import { isIterator } from "../common/yieldable.js";

/** A source or sink may also be a generator function (an op), for sources that wait. */
export type OpSource = Source | (() => Op<unknown>);
/** A sink may also be a generator function (an op), for sinks that wait. */
export type OpSink = Sink | ((chunk: Data | null, err?: string | null) => Op<unknown>);

/** Splits a `value` or `[value, err]` answer. */
function split(r: unknown): [unknown, string | null] {
  if (Array.isArray(r)) return [r[0] ?? null, (r[1] as string | null | undefined) ?? null];
  return [r ?? null, null];
}

/** A chunk as a Lua string (bytes as latin1). */
function text(chunk: unknown): string {
  if (typeof chunk === "string") return chunk;
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("latin1");
  return String(chunk);
}

/** Calls a source: `[chunk, err]`, chunk null at the end (or on failure, with err). */
export function* pull(src: OpSource): Op<[string | null, string | null]> {
  let r: unknown = src();
  if (isIterator(r)) r = yield r;
  const [chunk, err] = split(r);
  return [chunk === null ? null : text(chunk), err];
}

/** Gives a chunk to a sink: `[goOn, err]` (goOn false: the sink asked to stop, err its reason). */
export function* push(snk: OpSink, chunk: string | null, err: string | null): Op<[boolean, string | null]> {
  let r: unknown = snk(chunk, err);
  if (isIterator(r)) r = yield r;
  const [ok, e] = split(r);
  return [!!ok, e];
}

/** Most chars a JavaScript string can hold (V8's String::kMaxLength): a longer body could not be joined. */
const MAX_STRING = 2 ** 29 - 24;

/**
 * A table sink for the string forms (`http.request(url)`, `ftp.get(url)`) that refuses more than
 * `max` bytes in all: the request then fails with "body too large (over <max> bytes; <setting>)",
 * where joining the parts could have run out of memory or thrown a RangeError.
 */
export function boundedTable(max: number, setting: string): [OpSink, string[]] {
  const out: string[] = [];
  const limit = Math.min(max, MAX_STRING);
  let n = 0;
  const sink = (chunk: Data | null) => {
    if (chunk === null || chunk === undefined) return 1;
    const s = text(chunk);
    n += s.length;
    if (n > limit) return [null, `body too large (over ${limit} bytes; ${setting})`];
    out.push(s);
    return 1;
  };
  return [sink, out];
}
