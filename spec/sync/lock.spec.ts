import { expect } from "chai";
import { Lock, type Thread } from "copas";
import { fresh, run } from "../helpers/run.js";

describe("lock", () => {
  it("hangs off every dispatcher, bound to it", () => {
    const copas = fresh();
    expect(copas.lock).to.equal(copas.lock);
    expect(copas.lock.new()).to.be.instanceOf(Lock);
  });

  it("a not re-entrant lock asked for again by its owner times out; release rules (Copas tests/lock.lua)", async () => {
    const copas = fresh();
    const seen: unknown[] = [];
    await run(copas, function* () {
      const lock1 = copas.lock.new(null, true);
      seen.push(yield* lock1.get());
      const s = copas.gettime();
      seen.push(yield* lock1.get(1));
      seen.push(copas.gettime() - s);
      seen.push(lock1.release());
      seen.push(lock1.release());
      seen.push(yield* lock1.get());
      seen.push(lock1.destroy());
      seen.push(lock1.release());
    });
    expect(seen).to.deep.equal([
      [0, null, null],
      [null, "timeout", 1],
      1,
      [true, null],
      [null, "cannot release a lock not owned"],
      [0, null, null],
      [true, null],
      [null, "destroyed"],
    ]);
  });

  it("is re-entrant by default: each get needs a release", async () => {
    const copas = fresh();
    const seen: unknown[] = [];
    await run(copas, function* () {
      const lock = copas.lock.new();
      seen.push(yield* lock.get(), yield* lock.get());
      seen.push(lock.release());
      copas.addthread(function* () {
        seen.push(yield* lock.get(0)); // still held once
      });
      yield* copas.pause(0);
      seen.push(lock.release(), lock.owner);
    });
    expect(seen).to.deep.equal([[0, null, null], [0, null, null], [true, null], [null, "timeout", 0], [true, null], null]);
  });

  it("750 waiters with timeouts 1, 2 and 60 s: 250 acquired, 250 timeout, 250 destroyed", async () => {
    const copas = fresh();
    let success = 0;
    let timeout = 0;
    let destroyed = 0;
    await run(copas, function* () {
      const lock1 = copas.lock.new(10);
      expect(yield* lock1.get()).to.deep.equal([0, null, null]);
      const size = 750;
      const tracker = new Set<number>();
      for (let i = 1; i <= size; i++) {
        tracker.add(i);
        copas.addthread(function* () {
          const to = i > (size * 2) / 3 ? 60 : i > size / 3 ? 2 : 1;
          const [ok, err] = yield* lock1.get(to);
          if (ok !== null) {
            success++;
            if (i === size / 3) {
              yield* copas.pause(3); // long enough for the next 250 to time out
              expect(lock1.release()).to.deep.equal([true, null]);
              expect(lock1.destroy()).to.deep.equal([true, null]); // the last 250 fail
            } else {
              expect(lock1.release()).to.deep.equal([true, null]);
            }
          } else if (err === "timeout") timeout++;
          else if (err === "destroyed") destroyed++;
          else throw new Error(`unexpected ${String(err)}`);
          tracker.delete(i);
        });
      }
      expect(lock1.release()).to.deep.equal([true, null]);
      while (tracker.size > 0) yield* copas.pause(0.1);
    });
    expect([success, timeout, destroyed]).to.deep.equal([250, 250, 250]);
  });

  it("hands over in FIFO order and reports the seconds waited", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    await run(copas, function* () {
      const lock = copas.lock.new();
      yield* lock.get();
      for (const name of ["a", "b", "c"]) {
        copas.addthread(function* () {
          const r = yield* lock.get();
          log.push([name, ...r]);
          yield* copas.pause(1);
          lock.release();
        });
      }
      yield* copas.pause(2);
      lock.release();
    });
    expect(log).to.deep.equal([
      ["a", 2, null, null],
      ["b", 3, null, null],
      ["c", 4, null, null],
    ]);
  });

  it("destroy wakes waiters with [null, 'destroyed', waited], also one handed the lock but not yet running", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    await run(copas, function* () {
      const lock = copas.lock.new();
      yield* lock.get();
      for (const name of ["a", "b"]) {
        copas.addthread(function* () {
          log.push([name, ...(yield* lock.get())]);
        });
      }
      yield* copas.pause(0.5);
      lock.release(); // hands it to "a", which has not run yet
      lock.destroy();
      log.push(yield* lock.get(), lock.release(), lock.destroy());
    });
    expect(log).to.deep.equal([
      [null, "destroyed", null],
      [null, "destroyed"],
      [null, "destroyed"],
      ["a", null, "destroyed", 0.5],
      ["b", null, "destroyed", 0.5],
    ]);
  });

  it("a failed get(0) leaves no stale waiter (Copas bug: release would hand it the lock)", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    await run(copas, function* () {
      const lock = copas.lock.new();
      yield* lock.get();
      let b: Thread | null = null;
      b = copas.addthread(function* () {
        log.push(["b", ...(yield* lock.get(0))]);
        yield* copas.pause(5); // sleeping for its own reasons; must not be woken or made owner
        log.push(["b woke", copas.gettime()]);
      });
      copas.addthread(function* () {
        yield* copas.pause(0.1);
        log.push(["c", ...(yield* lock.get())]);
        lock.release();
      });
      yield* copas.pause(1);
      lock.release();
      log.push(["owner after release", lock.owner === b ? "b" : lock.owner === null ? null : "other"]);
      yield* copas.pause(0);
      log.push(["owner", lock.owner]);
    });
    expect(log).to.deep.equal([
      ["b", null, "timeout", 0],
      ["owner after release", "other"],
      ["c", 0.9, null, null],
      ["owner", null],
      ["b woke", 5],
    ]);
  });

  it("a waiter removed while queued does not take the lock with it (Copas #199)", async () => {
    const copas = fresh();
    let waiterResult: unknown = null;
    let owner: unknown = "unset";
    await run(copas, function* () {
      const lock2 = copas.lock.new(5);
      yield* lock2.get();
      const cancelled = copas.addthread(function* () {
        yield* lock2.get();
      });
      copas.addthread(function* () {
        const [ok, err] = yield* lock2.get();
        waiterResult = ok !== null ? "got it" : err;
        if (ok !== null) lock2.release();
      });
      yield* copas.pause(0.1);
      copas.removethread(cancelled);
      expect(lock2.release()).to.deep.equal([true, null]);
      yield* copas.pause(0.1);
      owner = lock2.owner;
    });
    expect(waiterResult).to.equal("got it");
    expect(owner).to.equal(null);
  });

  it("a waiter removed after being handed the lock passes it on", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    await run(copas, function* () {
      const lock = copas.lock.new();
      yield* lock.get();
      const a = copas.addthread(function* () {
        log.push(["a", ...(yield* lock.get())]);
      });
      copas.addnamedthread("b", function* () {
        log.push(["b", ...(yield* lock.get())]);
        lock.release();
      });
      yield* copas.pause(1);
      lock.release(); // to a
      copas.removethread(a);
      yield* copas.pause(0); // a unwinds and passes the lock to b
      log.push(["owner", lock.owner?.name]);
      yield* copas.pause(0);
      log.push(["owner", lock.owner]);
    });
    expect(log).to.deep.equal([
      ["owner", "b"],
      ["b", 1, null, null],
      ["owner", null],
    ]);
  });

  it("Infinity waits without a timeout (the loop may end around it), 0 never waits", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    let lock!: Lock;
    await run(copas, function* () {
      lock = copas.lock.new(Infinity);
      yield* lock.get();
      copas.addthread(function* () {
        log.push(["waiter", ...(yield* lock.get())]);
      });
    });
    expect(log).to.deep.equal([]); // the waiter is dormant: nothing left to do
    expect(copas.status().timeout).to.equal(0);
  });

  it("rejects bad arguments with a TypeError naming them", () => {
    const copas = fresh();
    expect(() => copas.lock.new(-1)).to.throw(TypeError, /'timeout'/);
    expect(() => copas.lock.new("5" as never)).to.throw(TypeError, /'timeout'/);
    const lock = copas.lock.new();
    expect(() => lock.get(-2)).to.throw(TypeError, /lock\.get.*'timeout'/);
    expect(() => lock.get(NaN)).to.throw(TypeError, /'timeout'/);
  });
});
