/**
 * An indexed binary min-heap of timer entries ordered by (time, seq). `seq` breaks ties in
 * insertion order, so timers due at one instant fire in the order they were set: that keeps
 * runs deterministic. Each entry knows its slot, so removal is O(log n) rather than a lazy
 * tombstone that would pile up when a timeout is set and cancelled on every operation.
 *
 * Layout: the keys live in typed arrays by heap position, next to each position's slot; an
 * entry object is only touched when it is pushed, popped or removed. Sifting compares and moves
 * numbers in a few contiguous arrays instead of reading ~2 log n entry objects scattered over
 * the heap (with tens of thousands of timers, those reads were cache misses on every pop).
 */
export interface HeapEntry {
  time: number;
  seq: number;
  /** Slot in the heap (stable while the entry is in it); -1 when not in a heap. */
  index: number;
}

export class TimerHeap<E extends HeapEntry> {
  #n = 0;
  #seq = 0;
  /** By heap position: time, seq and slot of the entry there. */
  #time = new Float64Array(16);
  #seqs = new Float64Array(16);
  #slot = new Int32Array(16);
  /** By slot: the entry, and its heap position. */
  #entries: (E | undefined)[] = [];
  #pos = new Int32Array(16);
  /** Slots free for reuse (a stack, so recently used slots come back first). */
  #free: number[] = [];

  get size(): number {
    return this.#n;
  }

  /** The earliest entry, or undefined. O(1). */
  peek(): E | undefined {
    return this.#n === 0 ? undefined : this.#entries[this.#slot[0]!];
  }

  /** Time of the earliest entry (Infinity when empty), read without touching the entry. */
  peekTime(): number {
    return this.#n === 0 ? Infinity : this.#time[0]!;
  }

  push(e: E): void {
    const seq = this.#seq++;
    e.seq = seq;
    let slot = this.#free.pop();
    if (slot === undefined) {
      slot = this.#entries.length;
      this.#entries.push(e);
      if (slot === this.#pos.length) this.#pos = grow(this.#pos, new Int32Array(slot * 2));
    } else {
      this.#entries[slot] = e;
    }
    e.index = slot;
    const i = this.#n++;
    if (i === this.#time.length) {
      this.#time = grow(this.#time, new Float64Array(i * 2));
      this.#seqs = grow(this.#seqs, new Float64Array(i * 2));
      this.#slot = grow(this.#slot, new Int32Array(i * 2));
    }
    this.#up(i, e.time, seq, slot);
  }

  pop(): E | undefined {
    if (this.#n === 0) return undefined;
    const top = this.#entries[this.#slot[0]!]!;
    this.#removeAt(0);
    return top;
  }

  /** Removes `e` if it is in this heap; returns whether it was. */
  remove(e: E): boolean {
    const slot = e.index;
    if (slot < 0 || slot >= this.#entries.length || this.#entries[slot] !== e) return false;
    this.#removeAt(this.#pos[slot]!);
    return true;
  }

  /** Removes every entry (given in heap order). */
  clear(): E[] {
    const all: E[] = [];
    for (let i = 0; i < this.#n; i++) {
      const e = this.#entries[this.#slot[i]!]!;
      e.index = -1;
      all.push(e);
    }
    this.#n = 0;
    this.#entries = [];
    this.#free = [];
    return all;
  }

  #removeAt(i: number): void {
    const slot = this.#slot[i]!;
    const e = this.#entries[slot]!;
    e.index = -1;
    this.#entries[slot] = undefined;
    this.#free.push(slot);
    const n = --this.#n;
    if (i < n) {
      // Move the last entry into the hole, then sift it down (or up, after a removal).
      const t = this.#time[n]!;
      const s = this.#seqs[n]!;
      const sl = this.#slot[n]!;
      const j = this.#down(i, t, s, sl);
      if (j === i) this.#up(i, t, s, sl);
    }
  }

  /** Places key (t, s) of `slot` at or above position `i`. */
  #up(i: number, t: number, s: number, slot: number): void {
    const T = this.#time;
    const S = this.#seqs;
    const L = this.#slot;
    const P = this.#pos;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = T[p]!;
      if (t > pt || (t === pt && s > S[p]!)) break;
      T[i] = pt;
      S[i] = S[p]!;
      const ps = L[p]!;
      L[i] = ps;
      P[ps] = i;
      i = p;
    }
    T[i] = t;
    S[i] = s;
    L[i] = slot;
    P[slot] = i;
  }

  /** Places key (t, s) of `slot` at or below position `i`; gives where it went. */
  #down(i: number, t: number, s: number, slot: number): number {
    const T = this.#time;
    const S = this.#seqs;
    const L = this.#slot;
    const P = this.#pos;
    const n = this.#n;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      let ct = T[c]!;
      let cs = S[c]!;
      const d = c + 1;
      if (d < n) {
        const dt = T[d]!;
        const ds = S[d]!;
        if (dt < ct || (dt === ct && ds < cs)) {
          c = d;
          ct = dt;
          cs = ds;
        }
      }
      if (t < ct || (t === ct && s < cs)) break;
      T[i] = ct;
      S[i] = cs;
      const cl = L[c]!;
      L[i] = cl;
      P[cl] = i;
      i = c;
    }
    T[i] = t;
    S[i] = s;
    L[i] = slot;
    P[slot] = i;
    return i;
  }
}

/** `to` (a larger array) with `from` copied in front. */
function grow<A extends Float64Array | Int32Array>(from: A, to: A): A {
  to.set(from);
  return to;
}
