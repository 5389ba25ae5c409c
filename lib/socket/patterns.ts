// LuaSocket's receive patterns over a queue of received bytes, shared by every stream socket
// (TCP, TLS and simulated TCP). Behaviour follows LuaSocket's buffer.c: a line drops every
// "\r" and the "\n"; a byte count includes the prefix's length; "*a" reads until closed; and a
// pattern that cannot be satisfied yet consumes what is there and returns it as the partial
// result, which the caller hands back as the prefix of its next try.

import * as check from "../common/check.js";
import type { Data, ReceiveResult } from "../common/types.js";

/** How received bytes are given to the program. */
export type Encoding = "latin1" | "utf8" | "buffer";

/** `enc` if it is an Encoding; else a TypeError naming `setencoding`'s argument. */
export function checkEncoding(enc: unknown): Encoding {
  if (enc !== "latin1" && enc !== "utf8" && enc !== "buffer") check.fail("setencoding", "enc", '"latin1", "utf8" or "buffer"', enc);
  return enc;
}

const NL = 10;
const CR = 13;
const EMPTY = Buffer.alloc(0);

/**
 * A FIFO of byte chunks. `push` is O(1); `take(n)` copies only when `n` bytes span chunks.
 * Consumed chunks are dropped from the front by advancing a head index, compacted when the
 * head passes half the array (amortised O(1) per chunk).
 */
export class ByteQueue {
  #chunks: Buffer[] = [];
  #head = 0;
  #off = 0;
  /** Unread bytes. */
  length = 0;
  /**
   * Bytes at the end that a partial result left queued (an incomplete UTF-8 character): no
   * receive can use them until more bytes arrive, so they do not make the socket readable.
   */
  held = 0;

  /** True when a receive could make progress: there are bytes beyond the held ones. */
  get ready(): boolean {
    return this.length > this.held;
  }

  push(b: Buffer): void {
    if (b.length === 0) return;
    this.#chunks.push(b);
    this.length += b.length;
    this.held = 0;
  }

  /** Index (from the read position) of the first byte equal to `byte`, or -1. */
  indexOf(byte: number): number {
    const chunks = this.#chunks;
    let base = 0;
    for (let i = this.#head; i < chunks.length; i++) {
      const c = chunks[i]!;
      const start = i === this.#head ? this.#off : 0;
      const at = c.indexOf(byte, start);
      if (at !== -1) return base + at - start;
      base += c.length - start;
    }
    return -1;
  }

  /**
   * Removes the next line (through "\n") and gives it as a latin1 string without the "\n",
   * or null when no whole line is queued. Fast path: a line inside the head chunk is decoded
   * straight from it, with no intermediate Buffer.
   */
  lineLatin1(): string | null {
    if (this.length === 0) return null;
    const c = this.#chunks[this.#head]!;
    const at = c.indexOf(NL, this.#off);
    if (at !== -1) {
      const s = latin1(c, this.#off, at);
      this.#advance(at + 1 - this.#off, c.length - this.#off);
      return s;
    }
    const i = this.indexOf(NL);
    if (i === -1) return null;
    const s = latin1(this.take(i), 0, i);
    this.take(1);
    return s;
  }

  /** The byte at `i` from the read position (i < length). */
  byteAt(i: number): number {
    const chunks = this.#chunks;
    let off = this.#off;
    for (let k = this.#head; k < chunks.length; k++) {
      const c = chunks[k]!;
      if (i < c.length - off) return c[off + i]!;
      i -= c.length - off;
      off = 0;
    }
    return -1;
  }

  /** Removes and returns the next `n` bytes (n <= length). */
  take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const chunks = this.#chunks;
    const first = chunks[this.#head]!;
    const avail = first.length - this.#off;
    if (n <= avail) {
      const out = first.subarray(this.#off, this.#off + n);
      this.#advance(n, avail);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = chunks[this.#head]!;
      const have = c.length - this.#off;
      const k = Math.min(have, n - filled);
      c.copy(out, filled, this.#off, this.#off + k);
      filled += k;
      this.#advance(k, have);
    }
    return out;
  }

  takeAll(): Buffer {
    return this.take(this.length);
  }

  /** Drops every byte. */
  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#off = 0;
    this.length = 0;
    this.held = 0;
  }

  #advance(k: number, have: number): void {
    this.length -= k;
    if (this.held > this.length) this.held = this.length;
    if (k === have) {
      this.#head++;
      this.#off = 0;
      if (this.#head === this.#chunks.length) {
        if (this.#head === 1) this.#chunks.pop();
        else this.#chunks.length = 0;
        this.#head = 0;
      } else if (this.#head > 32 && this.#head * 2 > this.#chunks.length) {
        // In place: take() holds this array across calls to #advance.
        this.#chunks.splice(0, this.#head);
        this.#head = 0;
      }
    } else {
      this.#off += k;
    }
  }
}

type Latin1Buffer = Buffer & { latin1Slice?(start: number, end: number): string };

/** Decodes bytes start..end of `b` as latin1 (Buffer's own fast slice when there is one). */
function latin1(b: Buffer, start: number, end: number): string {
  const lb = b as Latin1Buffer;
  return lb.latin1Slice !== undefined ? lb.latin1Slice(start, end) : b.toString("latin1", start, end);
}

/** Parsed pattern: -1 a line, -2 everything, n >= 0 a byte count. */
export const P_LINE = -1;
export const P_ALL = -2;

export function parsePattern(fn: string, pattern: unknown): number {
  if (pattern === undefined || pattern === null || pattern === "*l" || pattern === "l") return P_LINE;
  if (pattern === "*a" || pattern === "a") return P_ALL;
  if (typeof pattern === "number" && pattern >= 0 && !Number.isNaN(pattern)) return Math.floor(pattern);
  throw new TypeError(
    `${fn}: bad argument 'pattern' (expected "*l", "l", "*a", "a" or a byte count >= 0, got ${JSON.stringify(pattern)})`,
  );
}

function stripCR(b: Buffer): Buffer {
  if (b.indexOf(CR) === -1) return b;
  const out = Buffer.allocUnsafe(b.length);
  let n = 0;
  for (let i = 0; i < b.length; i++) if (b[i] !== CR) out[n++] = b[i]!;
  return out.subarray(0, n);
}

/** Byte length of a prefix handed to receive. */
export function prefixBytes(prefix: Data | null | undefined, enc: Encoding): number {
  if (prefix === null || prefix === undefined) return 0;
  if (typeof prefix !== "string") return prefix.length;
  return enc === "utf8" ? Buffer.byteLength(prefix, "utf8") : prefix.length;
}

/** Decodes received bytes and puts the prefix in front. */
export function join(prefix: Data | null | undefined, b: Buffer, enc: Encoding): Data {
  if (enc === "buffer") {
    if (prefix === null || prefix === undefined || prefix.length === 0) return b;
    const p = typeof prefix === "string" ? Buffer.from(prefix, "latin1") : prefix;
    return Buffer.concat([p, b]);
  }
  const s = b.length === 0 ? "" : b.toString(enc);
  if (prefix === null || prefix === undefined) return s;
  if (typeof prefix === "string") return prefix + s;
  return Buffer.from(prefix).toString(enc) + s;
}

/** Encodes data to send as bytes (strings by the socket's encoding; "buffer" sends latin1). */
export function toBytes(data: Data, enc: Encoding): Buffer {
  if (typeof data === "string") return Buffer.from(data, enc === "utf8" ? "utf8" : "latin1");
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * How many of the queue's bytes a partial result may take: all of them, except (for utf8) an
 * incomplete UTF-8 sequence at the end, which stays queued so the next try, given the partial
 * result back as its prefix, decodes the whole character.
 */
function partialBytes(q: ByteQueue, enc: Encoding): number {
  const n = q.length;
  if (enc !== "utf8") return n;
  for (let k = 1; k <= 3 && k <= n; k++) {
    const c = q.byteAt(n - k);
    if ((c & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
    if (need <= k) return n;
    q.held = k;
    return n - k;
  }
  return n;
}

/**
 * One non-blocking receive. `closedErr` is null while the stream is open, else the error to
 * report once the queue cannot satisfy the pattern ("closed", or another LuaSocket string).
 */
export function receiveFrom(
  q: ByteQueue,
  pat: number,
  prefix: Data | null | undefined,
  closedErr: string | null,
  enc: Encoding,
): ReceiveResult<Data> {
  if (pat === P_LINE) {
    if (enc === "latin1") {
      // The common case: latin1 lines. "\r" is dropped wherever it is, as LuaSocket does.
      const line = q.lineLatin1();
      if (line !== null) {
        const l = line.indexOf("\r") === -1 ? line : line.replaceAll("\r", "");
        // join gives a string for a string encoding
        return [prefix === null || prefix === undefined ? l : (join(prefix, EMPTY, enc) as string) + l, null, null];
      }
      if (q.length === 0) return [null, closedErr ?? "timeout", join(prefix, EMPTY, enc)];
    }
    const i = q.indexOf(NL);
    if (i !== -1) {
      const line = stripCR(q.take(i));
      q.take(1);
      return [join(prefix, line, enc), null, null];
    }
    const part = join(prefix, stripCR(q.take(closedErr === null ? partialBytes(q, enc) : q.length)), enc);
    return [null, closedErr ?? "timeout", part];
  }
  if (pat === P_ALL) {
    if (closedErr !== null) {
      if (q.length > 0) return [join(prefix, q.takeAll(), enc), null, null];
      return [null, closedErr, join(prefix, EMPTY, enc)];
    }
    return [null, "timeout", join(prefix, q.take(partialBytes(q, enc)), enc)];
  }
  const have = prefixBytes(prefix, enc);
  if (have > 0 && pat <= have) return [join(prefix, EMPTY, enc), null, null];
  const wanted = pat - have;
  if (q.length >= wanted) return [join(prefix, q.take(wanted), enc), null, null];
  const part = join(prefix, q.take(closedErr === null ? partialBytes(q, enc) : q.length), enc);
  return [null, closedErr ?? "timeout", part];
}
