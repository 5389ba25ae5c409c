import { expect } from "chai";
import { TimerHeap, type HeapEntry } from "../../lib/common/heap.js";

interface E extends HeapEntry {
  id: number;
}

const entry = (time: number, id: number): E => ({ time, seq: 0, index: -1, id });

/** A deterministic pseudo-random sequence (an LCG), so failures reproduce. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function drain(h: TimerHeap<E>): number[] {
  const out: number[] = [];
  for (let e = h.pop(); e !== undefined; e = h.pop()) out.push(e.id);
  return out;
}

describe("heap (TimerHeap)", () => {
  it("pops the earliest first; equal times in the order they were pushed", () => {
    const h = new TimerHeap<E>();
    [entry(3, 1), entry(1, 2), entry(2, 3), entry(1, 4), entry(3, 5), entry(1, 6)].forEach((e) => h.push(e));
    expect(h.size).to.equal(6);
    expect(h.peek()!.id).to.equal(2);
    expect(drain(h)).to.deep.equal([2, 4, 6, 3, 1, 5]);
    expect(h.pop()).to.equal(undefined);
    expect(h.peek()).to.equal(undefined);
  });

  it("removes any entry; removing one not in the heap says false", () => {
    const h = new TimerHeap<E>();
    const es = [5, 3, 8, 1, 9, 2, 7].map((t, i) => entry(t, i));
    es.forEach((e) => h.push(e));
    expect(h.remove(es[2]!)).to.equal(true);
    expect(h.remove(es[2]!)).to.equal(false);
    expect(es[2]!.index).to.equal(-1);
    expect(h.remove(es[3]!)).to.equal(true); // the top
    expect(h.remove(entry(1, 99))).to.equal(false);
    expect(drain(h)).to.deep.equal([5, 1, 0, 6, 4]);
  });

  it("matches a sorted list over many mixed pushes, pops and removes", () => {
    const rnd = lcg(42);
    const h = new TimerHeap<E>();
    let model: E[] = [];
    let id = 0;
    for (let i = 0; i < 5000; i++) {
      const r = rnd();
      if (r < 0.5) {
        const e = entry(Math.floor(rnd() * 100), id++);
        h.push(e);
        model.push(e);
      } else if (r < 0.75 && model.length > 0) {
        const victim = model[Math.floor(rnd() * model.length)]!;
        expect(h.remove(victim)).to.equal(true);
        model = model.filter((e) => e !== victim);
      } else {
        model.sort((a, b) => a.time - b.time || a.seq - b.seq);
        expect(h.pop()).to.equal(model.shift());
      }
      expect(h.size).to.equal(model.length);
    }
  });

  it("peekTime gives the earliest time (Infinity when empty) and keeps up with pops", () => {
    const h = new TimerHeap<E>();
    expect(h.peekTime()).to.equal(Infinity);
    [entry(0.25, 1), entry(0.125, 2), entry(0.5, 3)].forEach((e) => h.push(e));
    expect(h.peekTime()).to.equal(0.125);
    h.pop();
    expect(h.peekTime()).to.equal(h.peek()!.time).and.to.equal(0.25);
    h.pop();
    h.pop();
    expect(h.peekTime()).to.equal(Infinity);
  });

  it("leaves alone an entry of another heap that has the same slot", () => {
    const a = new TimerHeap<E>();
    const b = new TimerHeap<E>();
    const ea = entry(1, 1);
    const eb = entry(2, 2);
    a.push(ea);
    b.push(eb);
    expect(ea.index).to.equal(eb.index);
    expect(a.remove(eb)).to.equal(false);
    expect(a.size).to.equal(1);
    expect(b.pop()).to.equal(eb);
  });

  it("clear empties it and gives back what it held", () => {
    const h = new TimerHeap<E>();
    const es = [entry(1, 1), entry(2, 2)];
    es.forEach((e) => h.push(e));
    const all = h.clear();
    expect(all).to.have.members(es);
    expect(h.size).to.equal(0);
    expect(es.every((e) => e.index === -1)).to.equal(true);
    expect(h.remove(es[0]!)).to.equal(false);
  });
});
