import { expect } from "chai";
import { Semaphore } from "copas";
import { fresh, run } from "../helpers/run.js";

describe("semaphore", () => {
  it("hangs off every dispatcher", () => {
    const copas = fresh();
    expect(copas.semaphore.new(1)).to.be.instanceOf(Semaphore);
  });

  it("takes, times out, refuses too many and hands out in give (Copas tests/semaphore.lua)", async () => {
    const copas = fresh();
    const seen: unknown[] = [];
    let state = 0;
    await run(copas, function* () {
      const sema = copas.semaphore.new(10, 5, 1);
      seen.push(sema.get_count());
      seen.push(yield* sema.take(3), sema.get_count());
      let s = copas.gettime();
      seen.push(yield* sema.take(3, 0), copas.gettime() - s); // 1 too many: at once
      seen.push(yield* sema.take(10, 0));
      seen.push(yield* sema.take(11)); // more than max
      s = copas.gettime();
      seen.push(yield* sema.take(10), copas.gettime() - s); // waits its 1 s
      seen.push(sema.get_count());

      copas.addthread(function* () {
        expect(yield* sema.take(5)).to.deep.equal([true, null]);
        state += 1;
      });
      copas.addthread(function* () {
        expect(yield* sema.take(5)).to.deep.equal([true, null]);
        state += 2;
      });
      yield* copas.pause(0.1);
      seen.push(["state", state], sema.get_count());
      seen.push(sema.give(4), sema.get_count());
      yield* copas.pause(0.1);
      seen.push(["state", state]);
      seen.push(sema.give(4), sema.get_count());
      yield* copas.pause(0.1);
      seen.push(["state", state]);
      seen.push(sema.give(100), sema.get_count());
    });
    expect(seen).to.deep.equal([
      [5, null],
      [true, null],
      [2, null],
      [null, "timeout"],
      0,
      [null, "timeout"],
      [null, "too many"],
      [null, "timeout"],
      1,
      [2, null],
      ["state", 0],
      [2, null],
      [true, null],
      [1, null],
      ["state", 1],
      [true, null],
      [0, null],
      ["state", 3],
      [null, "too many"],
      [10, null],
    ]);
  });

  it("destroy wakes waiters with 'destroyed', then every method says 'destroyed'", async () => {
    const copas = fresh();
    const seen: unknown[] = [];
    await run(copas, function* () {
      const sema = copas.semaphore.new(10, 10);
      seen.push(yield* sema.take(10), sema.get_count());
      for (const name of ["a", "b"]) {
        copas.addthread(function* () {
          seen.push([name, ...(yield* sema.take(5))]);
        });
      }
      yield* copas.pause(0.1);
      seen.push(sema.destroy());
      yield* copas.pause(0.1);
      seen.push(sema.destroy(), sema.give(1), yield* sema.take(1), sema.get_count(), sema.get_wait());
    });
    expect(seen).to.deep.equal([
      [true, null],
      [0, null],
      [true, null],
      ["a", null, "destroyed"],
      ["b", null, "destroyed"],
      [null, "destroyed"],
      [null, "destroyed"],
      [null, "destroyed"],
      [null, "destroyed"],
      [null, "destroyed"],
    ]);
  });

  it("the timeouts of waiters end with destroy (Copas #118)", async () => {
    const copas = fresh();
    const seen: unknown[] = [];
    await run(copas, function* () {
      const sema = copas.semaphore.new(10, 0, 0.5);
      copas.addthread(function* () {
        seen.push(yield* sema.take(1));
      });
      yield* copas.pause(0.1);
      seen.push(copas.status().timeout);
      sema.destroy();
      yield* copas.pause(0.1);
      seen.push(copas.status().timeout);
      yield* copas.pause(0.5);
    });
    expect(seen).to.deep.equal([1, [null, "destroyed"], 0]);
  });

  it("a waiter woken by give runs before the giver resumes from pause(0)", async () => {
    const copas = fresh();
    const log: string[] = [];
    await run(copas, function* () {
      const sema = copas.semaphore.new(1);
      copas.addthread(function* () {
        yield* sema.take();
        log.push("took");
      });
      yield* copas.pause(0);
      sema.give();
      log.push(`given, count ${sema.get_count()[0]}`);
      yield* copas.pause(0);
      log.push("giver resumed");
    });
    expect(log).to.deep.equal(["given, count 0", "took", "giver resumed"]);
  });

  it("serves strictly in order: a small request waits behind a big one; get_wait is the shortage", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    await run(copas, function* () {
      const sema = copas.semaphore.new(10, 0, Infinity);
      for (const [name, n] of [["big", 5], ["small", 1]] as const) {
        copas.addthread(function* () {
          yield* sema.take(n);
          log.push(name);
        });
      }
      yield* copas.pause(0);
      log.push(sema.get_wait());
      sema.give(3);
      yield* copas.pause(0);
      log.push(["after 3", sema.get_count(), sema.get_wait()]);
      sema.give(3);
      yield* copas.pause(0);
      log.push(["after 6", sema.get_count(), sema.get_wait()]);
    });
    expect(log).to.deep.equal([[6, null], ["after 3", [3, null], [3, null]], "big", "small", ["after 6", [0, null], [0, null]]]);
  });

  it("waiters behind a big request that timed out get what is there at once (Copas leaves them waiting)", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    await run(copas, function* () {
      const sema = copas.semaphore.new(10, 2);
      copas.addthread(function* () {
        log.push(["big", ...(yield* sema.take(5, 1))]);
      });
      copas.addthread(function* () {
        log.push(["small", ...(yield* sema.take(1, 5)), copas.gettime()]);
      });
    });
    expect(log).to.deep.equal([
      ["big", null, "timeout"],
      ["small", true, null, 1],
    ]);
  });

  it("a removed waiter does not hold up the queue, nor keep resources handed to it", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    await run(copas, function* () {
      const sema = copas.semaphore.new(10, 0);
      const a = copas.addthread(function* () {
        log.push(["a", ...(yield* sema.take(2))]);
      });
      copas.addthread(function* () {
        log.push(["b", ...(yield* sema.take(1))]);
      });
      yield* copas.pause(0);
      copas.removethread(a);
      yield* copas.pause(0);
      sema.give(1);
      yield* copas.pause(0);
      // granted to c, then c is removed before it runs: the 2 come back
      const c = copas.addthread(function* () {
        log.push(["c", ...(yield* sema.take(2))]);
      });
      yield* copas.pause(0);
      sema.give(2);
      copas.removethread(c);
      yield* copas.pause(0);
      log.push(sema.get_count());
    });
    expect(log).to.deep.equal([["b", true, null], [2, null]]);
  });

  it("rejects bad arguments with a TypeError naming them", () => {
    const copas = fresh();
    expect(() => copas.semaphore.new(0)).to.throw(TypeError, /'max'/);
    expect(() => copas.semaphore.new("3" as never)).to.throw(TypeError, /'max'/);
    expect(() => copas.semaphore.new(3, -1)).to.throw(TypeError, /'start'/);
    expect(() => copas.semaphore.new(3, 0, -1)).to.throw(TypeError, /'timeout'/);
    const sema = copas.semaphore.new(3);
    expect(() => sema.take(-1)).to.throw(TypeError, /semaphore\.take.*'n'/);
    expect(() => sema.take(1, "x" as never)).to.throw(TypeError, /'timeout'/);
    expect(() => sema.give(Infinity)).to.throw(TypeError, /semaphore\.give.*'n'/);
    expect(() => sema.give(-1)).to.throw(TypeError, /'n'/);
  });
});
