/**
 * An indexed binary min-heap of timer entries ordered by (time, seq). `seq` breaks ties in
 * insertion order, so timers due at one instant fire in the order they were set: that keeps
 * runs deterministic. Each entry knows its index, so removal is O(log n) rather than a lazy
 * tombstone that would pile up when a timeout is set and cancelled on every operation.
 */
export interface HeapEntry {
  time: number;
  seq: number;
  /** Position in the heap array; -1 when not in a heap. */
  index: number;
}

export class TimerHeap<E extends HeapEntry> {
  #items: E[] = [];
  #seq = 0;

  get size(): number {
    return this.#items.length;
  }

  /** The earliest entry, or undefined. O(1). */
  peek(): E | undefined {
    return this.#items[0];
  }

  push(e: E): void {
    e.seq = this.#seq++;
    e.index = this.#items.length;
    this.#items.push(e);
    this.#up(e.index);
  }

  pop(): E | undefined {
    const items = this.#items;
    if (items.length === 0) return undefined;
    const top = items[0]!;
    this.#removeAt(0);
    return top;
  }

  /** Removes `e` if it is in this heap; returns whether it was. */
  remove(e: E): boolean {
    const i = e.index;
    if (i < 0 || this.#items[i] !== e) return false;
    this.#removeAt(i);
    return true;
  }

  /** Removes every entry. */
  clear(): E[] {
    const all = this.#items;
    this.#items = [];
    for (const e of all) e.index = -1;
    return all;
  }

  #removeAt(i: number): void {
    const items = this.#items;
    const e = items[i]!;
    const last = items.pop()!;
    e.index = -1;
    if (i < items.length) {
      items[i] = last;
      last.index = i;
      this.#down(i);
      this.#up(last.index);
    }
  }

  #less(a: E, b: E): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  #up(i: number): void {
    const items = this.#items;
    const e = items[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = items[p]!;
      if (!this.#less(e, pe)) break;
      items[i] = pe;
      pe.index = i;
      i = p;
    }
    items[i] = e;
    e.index = i;
  }

  #down(i: number): void {
    const items = this.#items;
    const n = items.length;
    const e = items[i]!;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && this.#less(items[c + 1]!, items[c]!)) c++;
      const ce = items[c]!;
      if (!this.#less(ce, e)) break;
      items[i] = ce;
      ce.index = i;
      i = c;
    }
    items[i] = e;
    e.index = i;
  }
}
