// LuaSocket's receive patterns over a queue of received bytes, shared by every stream socket
// (TCP, TLS and simulated TCP). Behaviour follows LuaSocket's buffer.c: a line drops every
// "\r" and the "\n"; a byte count includes the prefix's length; "*a" reads until closed; and a
// pattern that cannot be satisfied yet consumes what is there and returns it as the partial
// result, which the caller hands back as the prefix of its next try.

import type { Data, ReceiveResult } from "./types.js";

/** How received bytes are given to the program. */
export type Encoding = "latin1" | "utf8" | "buffer";

const NL = 10;
const CR = 13;
const EMPTY = Buffer.alloc(0);

/**
 * A FIFO of byte chunks. `push` is O(1); `take(n)` copies only when `n` bytes span chunks.
 * Consumed chunks are dropped from the front by advancing a head index, compacted when the
 * head passes half the array (amortised O(1) per chunk). Slots `[head, n)` hold the chunks;
 * the array keeps its capacity when drained (no reallocation per message), and consumed
 * slots are overwritten with an empty buffer so they do not keep data alive.
 */
export class ByteQueue {
  #chunks: Buffer[] = [];
  /** Slots in use: chunks live at [#head, #n). */
  #n = 0;
  #head = 0;
  #off = 0;
  /** Unread bytes. */
  length = 0;

  push(b: Buffer): void {
    if (b.length === 0) return;
    const chunks = this.#chunks;
    if (this.#n < chunks.length) chunks[this.#n] = b;
    else if (chunks.length === 0) this.#chunks = [b]; // one slot: most sockets never queue two
    else chunks.push(b);
    this.#n++;
    this.length += b.length;
  }

  /** Index (from the read position) of the first byte equal to `byte`, or -1. */
  indexOf(byte: number): number {
    const chunks = this.#chunks;
    let base = 0;
    for (let i = this.#head; i < this.#n; i++) {
      const c = chunks[i]!;
      const start = i === this.#head ? this.#off : 0;
      const at = c.indexOf(byte, start);
      if (at !== -1) return base + at - start;
      base += c.length - start;
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
      this.#advance(n, first, avail);
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
      this.#advance(k, c, have);
    }
    return out;
  }

  takeAll(): Buffer {
    return this.take(this.length);
  }

  /** Drops every byte. */
  clear(): void {
    this.#chunks = [];
    this.#n = 0;
    this.#head = 0;
    this.#off = 0;
    this.length = 0;
  }

  #advance(k: number, chunk: Buffer, have: number): void {
    this.length -= k;
    if (k === have) {
      const chunks = this.#chunks;
      chunks[this.#head++] = EMPTY;
      this.#off = 0;
      if (this.#head === this.#n) {
        this.#n = 0;
        this.#head = 0;
      } else if (this.#head > 32 && this.#head * 2 > this.#n) {
        chunks.copyWithin(0, this.#head, this.#n);
        this.#n -= this.#head;
        chunks.fill(EMPTY, this.#n, this.#n + this.#head);
        this.#head = 0;
      }
    } else {
      this.#off += k;
    }
    void chunk;
  }
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
    const i = q.indexOf(NL);
    if (i !== -1) {
      const line = stripCR(q.take(i));
      q.take(1);
      return [join(prefix, line, enc), null, null];
    }
    const part = join(prefix, stripCR(q.takeAll()), enc);
    return [null, closedErr ?? "timeout", part];
  }
  if (pat === P_ALL) {
    const got = q.length;
    const all = q.takeAll();
    if (closedErr !== null) {
      if (got > 0) return [join(prefix, all, enc), null, null];
      return [null, closedErr, join(prefix, EMPTY, enc)];
    }
    return [null, "timeout", join(prefix, all, enc)];
  }
  const have = prefixBytes(prefix, enc);
  if (have > 0 && pat <= have) return [join(prefix, EMPTY, enc), null, null];
  const wanted = pat - have;
  if (q.length >= wanted) return [join(prefix, q.take(wanted), enc), null, null];
  const part = join(prefix, q.takeAll(), enc);
  return [null, closedErr ?? "timeout", part];
}
