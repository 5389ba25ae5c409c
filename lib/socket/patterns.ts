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
 * The chunk being read is held in a field and the ones behind it in an array, made only when
 * a second chunk arrives before the first is read: an echo's queue holds one chunk at a time,
 * so each message touches this object alone (the cache misses of a busy server with
 * thousands of connections are per object touched). Consumed chunks of the array are dropped
 * from the front by advancing an index, compacted when it passes half the array (amortised
 * O(1) per chunk).
 */
export class ByteQueue {
  /** The chunk being read (from `#off`), or null when the queue is empty. */
  #cur: Buffer | null = null;
  #off = 0;
  /** Chunks behind `#cur`, from index `#next`; null until a second chunk is ever queued. */
  #more: Buffer[] | null = null;
  #next = 0;
  /** Unread bytes. */
  length = 0;
  /**
   * Bytes at the end that a partial result left queued (an incomplete UTF-8 character): no
   * receive can use them until more bytes arrive, so they do not make the socket readable.
   */
  held = 0;
  /** A chunk whose memory is reused after the current read callback (see pushBorrowed). */
  #borrowed: Buffer | null = null;

  /** True when a receive could make progress: there are bytes beyond the held ones. */
  get ready(): boolean {
    return this.length > this.held;
  }

  push(b: Buffer): void {
    if (b.length === 0) return;
    if (this.#cur === null) {
      this.#cur = b;
      this.#off = 0;
    } else if (this.#more === null) this.#more = [b];
    else this.#more.push(b);
    this.length += b.length;
    this.held = 0;
  }

  /**
   * Queues bytes that live in a read buffer the stream reuses for its next read: they are read
   * in place (a line decoded straight from them), and `own()`, called before the buffer is
   * reused, copies whatever is still queued. Bytes taken out as a Buffer are copied first.
   */
  pushBorrowed(b: Buffer): void {
    if (b.length === 0) return;
    this.push(b);
    this.#borrowed = b;
  }

  /** Copies the unread part of the borrowed chunk, if any, so its buffer may be reused. */
  own(): void {
    const b = this.#borrowed;
    if (b === null) return;
    this.#borrowed = null;
    if (this.#cur === b) {
      // The borrowed chunk is the one being read (nothing behind it: it came last).
      this.#cur = Buffer.from(b.subarray(this.#off));
      this.#off = 0;
      return;
    }
    const more = this.#more;
    if (more === null || more.length <= this.#next || more[more.length - 1] !== b) return; // all of it was read
    more[more.length - 1] = Buffer.from(b);
  }

  /** Index (from the read position) of the first byte equal to `byte`, or -1. */
  indexOf(byte: number): number {
    const c = this.#cur;
    if (c === null) return -1;
    const at = c.indexOf(byte, this.#off);
    if (at !== -1) return at - this.#off;
    let base = c.length - this.#off;
    const more = this.#more;
    if (more === null) return -1;
    for (let i = this.#next; i < more.length; i++) {
      const m = more[i]!;
      const k = m.indexOf(byte);
      if (k !== -1) return base + k;
      base += m.length;
    }
    return -1;
  }

  /**
   * Removes the next line (through "\n") and gives it as a latin1 string without the "\n",
   * or null when no whole line of at most `limit` bytes is queued (nothing is removed then).
   * Fast path: a line inside the current chunk is decoded straight from it, with no
   * intermediate Buffer.
   */
  lineLatin1(limit: number): string | null {
    const c = this.#cur;
    if (c === null) return null;
    const at = c.indexOf(NL, this.#off);
    if (at !== -1) {
      if (at - this.#off > limit) return null;
      const s = latin1(c, this.#off, at);
      this.#advance(at + 1 - this.#off, c.length - this.#off);
      return s;
    }
    const i = this.indexOf(NL);
    if (i === -1 || i > limit) return null;
    const s = latin1(this.take(i), 0, i);
    this.take(1);
    return s;
  }

  /** The byte at `i` from the read position (i < length). */
  byteAt(i: number): number {
    const c = this.#cur;
    if (c === null) return -1;
    if (i < c.length - this.#off) return c[this.#off + i]!;
    i -= c.length - this.#off;
    const more = this.#more;
    if (more === null) return -1;
    for (let k = this.#next; k < more.length; k++) {
      const m = more[k]!;
      if (i < m.length) return m[i]!;
      i -= m.length;
    }
    return -1;
  }

  /** Removes and returns the next `n` bytes (n <= length). */
  take(n: number): Buffer {
    if (n === 0) return EMPTY;
    const first = this.#cur!;
    const avail = first.length - this.#off;
    if (n <= avail) {
      let out = first.subarray(this.#off, this.#off + n);
      if (first === this.#borrowed) out = Buffer.from(out); // the caller may keep it
      this.#advance(n, avail);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const c = this.#cur!;
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
    this.#cur = null;
    this.#off = 0;
    this.#more = null;
    this.#next = 0;
    this.#borrowed = null;
    this.length = 0;
    this.held = 0;
  }

  /** Consumes `k` of the `have` bytes left in the current chunk. */
  #advance(k: number, have: number): void {
    this.length -= k;
    if (this.held > this.length) this.held = this.length;
    if (k !== have) {
      this.#off += k;
      return;
    }
    this.#off = 0;
    const more = this.#more;
    if (more === null || this.#next >= more.length) {
      this.#cur = null;
      return;
    }
    this.#cur = more[this.#next]!;
    more[this.#next++] = EMPTY; // let the chunk go
    if (this.#next === more.length) {
      more.length = 0;
      this.#next = 0;
    } else if (this.#next > 32 && this.#next * 2 > more.length) {
      more.splice(0, this.#next);
      this.#next = 0;
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

const STAR = 42;
const L = 108;
const A = 97;

/**
 * `"*l"` (default), `"*a"` or a byte count. As LuaSocket, only a string's first two characters
 * count, so `"*line"` and `"*all"` work; `"l"` and `"a"` (Lua 5.4's `io.read` style) are taken
 * too. A count is a finite number >= 0 (a fraction is truncated, as LuaSocket's cast).
 */
export function parsePattern(fn: string, pattern: unknown): number {
  if (pattern === undefined || pattern === null) return P_LINE;
  if (typeof pattern === "string") {
    if (pattern.charCodeAt(0) === STAR) {
      const c = pattern.charCodeAt(1);
      if (c === L) return P_LINE;
      if (c === A) return P_ALL;
    } else if (pattern === "l") return P_LINE;
    else if (pattern === "a") return P_ALL;
  } else if (typeof pattern === "number" && pattern >= 0 && pattern !== Infinity) return Math.floor(pattern);
  throw new TypeError(
    `${fn}: bad argument 'pattern' (expected "*l", "*a" (only the first two characters count; "l" and "a" too) or a finite byte count >= 0, got ${check.describe(pattern)})`,
  );
}

/** True for a pattern that reads until closed ("*a", "*all", "a"): what copas's receive op asks. */
export function isAllPattern(pattern: unknown): boolean {
  return typeof pattern === "string" && (pattern === "a" || (pattern.charCodeAt(0) === STAR && pattern.charCodeAt(1) === A));
}

/**
 * Default bound of the longest line a `"*l"` receive assembles (bytes, prefix included; "\r"s
 * dropped are not counted); `setoption("max-line-size", n)`. The peer decides a line's length,
 * so this bound is tight: far above what line protocols use (HTTP servers cap a header line at
 * 8-16 KiB, SMTP at 1,000 bytes), and 1,000 hostile connections pin at most 1 GiB.
 */
export const DEFAULT_MAX_LINE = 1024 * 1024;
/**
 * Default bound of a byte count and of what `"*a"` gathers (bytes, prefix included);
 * `setoption("max-receive-size", n)`. The program picks a count, so this one is loose: whole
 * transfers fit (Copas's own large-transfer test receives 50 MB in one count), yet a peer that
 * never closes cannot grow an `"*a"` without end, and every result stays far below V8's
 * string limit (no RangeError out of a receive).
 */
export const DEFAULT_MAX_RECEIVE = 64 * 1024 * 1024;
/** Largest `max-line-size` and `max-receive-size`: V8's longest string (2^29 - 24 characters). */
export const MAX_RECEIVE_LIMIT = 2 ** 29 - 24;
/** A receive's error when a line grows past `max-line-size` without its "\n". */
const ERR_LINE_TOO_LONG = "line too long";
/** A receive's error when a byte count, or what "*a" gathered, is over `max-receive-size`. */
const ERR_TOO_LARGE = "size too large";

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

const NON_LATIN1 = /[^\x00-\xff]/;

/**
 * A string sent on a latin1 (or "buffer") socket is one byte per character: a character above
 * U+00FF has no such byte, and Node would silently keep only its low byte. So it is a
 * TypeError, and nothing is sent.
 */
export function checkLatin1(fn: string, data: string): void {
  if (!NON_LATIN1.test(data)) return;
  const at = data.search(NON_LATIN1);
  const code = data.codePointAt(at)!.toString(16).toUpperCase().padStart(4, "0");
  throw new TypeError(
    `${fn}: bad argument 'data' (a latin1 socket sends one byte per character, and the character U+${code} at index ${at} is above U+00FF; use setencoding("utf8") or send a Buffer)`,
  );
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
 * How many more bytes a result with this prefix may take under `max`. Exact except for a
 * utf8 string prefix, whose byte length costs a pass over it: then an upper bound of its bytes
 * (3 per UTF-16 unit) is used while everything queued fits anyway.
 */
function room(prefix: Data | null | undefined, enc: Encoding, queued: number, max: number): number {
  if (prefix === null || prefix === undefined) return max;
  if (typeof prefix !== "string" || enc !== "utf8") return max - prefix.length;
  const upper = prefix.length * 3;
  if (upper + queued <= max) return max - upper;
  return max - Buffer.byteLength(prefix, "utf8");
}

/** `n` (<= q.length), moved back so that a utf8 result does not end inside a character. */
function cut(q: ByteQueue, n: number, enc: Encoding): number {
  if (n <= 0) return 0;
  if (enc === "utf8") {
    for (let k = 0; k < 3 && n > 0 && (q.byteAt(n) & 0xc0) === 0x80; k++) n--;
  }
  return n;
}

/**
 * One non-blocking receive. `closedErr` is null while the stream is open, else the error to
 * report once the queue cannot satisfy the pattern ("closed", or another LuaSocket string).
 * `maxLine` bounds a line and `maxSize` a count or "*a" (prefix included): past them the result
 * is `[null, "line too long" | "size too large", partial]`, the partial cut at the bound (a
 * count over it takes nothing); what follows stays queued.
 */
export function receiveFrom(
  q: ByteQueue,
  pat: number,
  prefix: Data | null | undefined,
  closedErr: string | null,
  enc: Encoding,
  maxLine: number = DEFAULT_MAX_LINE,
  maxSize: number = DEFAULT_MAX_RECEIVE,
): ReceiveResult<Data> {
  if (pat === P_LINE) {
    const left = room(prefix, enc, q.length, maxLine);
    if (left < 0) return [null, ERR_LINE_TOO_LONG, join(prefix, EMPTY, enc)];
    if (enc === "latin1") {
      // The common case: latin1 lines. "\r" is dropped wherever it is, as LuaSocket does.
      const line = q.lineLatin1(left);
      if (line !== null) {
        const l = line.indexOf("\r") === -1 ? line : line.replaceAll("\r", "");
        // join gives a string for a string encoding
        return [prefix === null || prefix === undefined ? l : (join(prefix, EMPTY, enc) as string) + l, null, null];
      }
      if (q.length === 0) return [null, closedErr ?? "timeout", join(prefix, EMPTY, enc)];
    }
    const i = q.indexOf(NL);
    if (i !== -1 && i <= left) {
      const line = stripCR(q.take(i));
      q.take(1);
      return [join(prefix, line, enc), null, null];
    }
    // Enforced as the line grows: no partial line longer than `max` is ever assembled.
    if (i !== -1 || q.length > left) return [null, ERR_LINE_TOO_LONG, join(prefix, stripCR(q.take(cut(q, left, enc))), enc)];
    const part = join(prefix, stripCR(q.take(closedErr === null ? partialBytes(q, enc) : q.length)), enc);
    return [null, closedErr ?? "timeout", part];
  }
  if (pat === P_ALL) {
    const left = room(prefix, enc, q.length, maxSize);
    if (q.length > left || left < 0) return [null, ERR_TOO_LARGE, join(prefix, q.take(cut(q, left, enc)), enc)];
    if (closedErr !== null) {
      if (q.length > 0) return [join(prefix, q.takeAll(), enc), null, null];
      return [null, closedErr, join(prefix, EMPTY, enc)];
    }
    return [null, "timeout", join(prefix, q.take(partialBytes(q, enc)), enc)];
  }
  const have = prefixBytes(prefix, enc);
  // A prefix that already holds the count is the result, with no read (LuaSocket's buffer.c).
  if (have > 0 && pat <= have) return [join(prefix, EMPTY, enc), null, null];
  if (pat > maxSize) return [null, ERR_TOO_LARGE, join(prefix, EMPTY, enc)];
  const wanted = pat - have;
  // receive(0) reads first, as LuaSocket: "" only when something is queued.
  if (q.length >= wanted && (wanted > 0 || q.length > 0)) return [join(prefix, q.take(wanted), enc), null, null];
  const part = join(prefix, q.take(closedErr === null ? partialBytes(q, enc) : q.length), enc);
  return [null, closedErr ?? "timeout", part];
}
