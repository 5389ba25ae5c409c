import { expect } from "chai";
import { ERROR, Future, PENDING, SUCCESS } from "copas";
import { fresh, run } from "../helpers/run.js";

describe("future", () => {
  it("has the status constants", () => {
    const { future } = fresh();
    expect([future.PENDING, future.SUCCESS, future.ERROR]).to.deep.equal([false, true, "error"]);
    expect([PENDING, SUCCESS, ERROR]).to.deep.equal([false, true, "error"]);
  });

  it("get waits and gives [true, value], again and again (Copas tests/future.lua)", async () => {
    const copas = fresh();
    const seen: unknown[] = [];
    await run(copas, function* () {
      const f = copas.future.addthread(function* (a: string, b: string) {
        yield* copas.pause(0.05);
        return `${a} ${b}`;
      }, "hello", "world");
      expect(f).to.be.instanceOf(Future);
      seen.push(yield* f.get(), copas.gettime());
      seen.push(yield* f.get());
      const plain = copas.future.addthread(() => 42);
      seen.push(yield* plain.get());
      const promised = copas.future.addthread(() => Promise.resolve("later"));
      seen.push(yield* promised.get());
    });
    expect(seen).to.deep.equal([[true, "hello world"], 0.05, [true, "hello world"], [true, 42], [true, "later"]]);
  });

  it("get gives [false, err] when the task throws, and the error is not reported", async () => {
    const copas = fresh();
    let r: unknown;
    let t: unknown;
    await run(copas, function* () {
      const f = copas.future.addthread(function* () {
        yield* copas.pause(0);
        throw new Error("boom");
      });
      r = yield* f.get();
      t = f.try();
    });
    const [ok, err] = r as [boolean, Error];
    expect(ok).to.equal(false);
    expect(err.message).to.equal("boom");
    expect((t as unknown[])[0]).to.equal(ERROR);
    expect((t as unknown[])[1]).to.equal(err);
  });

  it("wakes every waiter, in the order they came", async () => {
    const copas = fresh();
    const results: unknown[] = [];
    await run(copas, function* () {
      const f = copas.future.addthread(function* () {
        yield* copas.pause(0.1);
        return "shared";
      });
      for (let i = 1; i <= 5; i++) {
        copas.addthread(function* () {
          results.push([i, ...(yield* f.get())]);
        });
      }
      yield* copas.pause(0.3);
    });
    expect(results).to.deep.equal([1, 2, 3, 4, 5].map((i) => [i, true, "shared"]));
  });

  it("try: PENDING while running, then SUCCESS with the value", async () => {
    const copas = fresh();
    const seen: unknown[] = [];
    await run(copas, function* () {
      const f = copas.future.addthread(function* () {
        yield* copas.pause(0.2);
        return "done";
      });
      seen.push(f.try());
      yield* f.get();
      seen.push(f.try());
    });
    expect(seen).to.deep.equal([[PENDING], [SUCCESS, "done"]]);
  });

  it("cancel: the task stops, get and try give 'cancelled', waiters wake; false once done", async () => {
    const copas = fresh();
    const seen: unknown[] = [];
    let ran = false;
    let cleaned = false;
    await run(copas, function* () {
      const f = copas.future.addthread(function* () {
        try {
          yield* copas.pause(5);
          ran = true;
        } finally {
          cleaned = true;
        }
      });
      copas.addthread(function* () {
        seen.push(["waiter", ...(yield* f.get())]);
      });
      yield* copas.pause(0.1);
      seen.push(f.cancel(), f.cancel(), yield* f.get(), f.try());
      yield* copas.pause(0.1);
      const g = copas.future.addthread(() => "x");
      yield* g.get();
      seen.push(g.cancel());
      const never = copas.future.addthread(() => {
        ran = true;
      });
      seen.push(never.cancel()); // before it ever started
    });
    expect(seen).to.deep.equal([
      true,
      false,
      [false, "cancelled"],
      [ERROR, "cancelled"],
      ["waiter", false, "cancelled"],
      false,
      true,
    ]);
    expect(ran).to.equal(false);
    expect(cleaned).to.equal(true);
  });

  it("addnamedthread names the task's thread", async () => {
    const copas = fresh();
    let r: unknown;
    let name = "";
    await run(copas, function* () {
      const f = copas.future.addnamedthread("test-task", () => copas.getthreadname());
      name = f.thread.name;
      r = yield* f.get();
    });
    expect(name).to.equal("test-task");
    expect(r).to.deep.equal([true, "test-task"]);
  });

  it("rejects bad arguments with a TypeError naming them", () => {
    const { future } = fresh();
    expect(() => future.addthread("x" as unknown as () => void)).to.throw(TypeError, /'fn'/);
    expect(() => future.addnamedthread(5 as never, () => {})).to.throw(TypeError, /'name'/);
  });
});
