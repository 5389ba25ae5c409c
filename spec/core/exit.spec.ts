// exit(), exiting() and waitforexit(): built on a semaphore that exit() destroys, as Copas 4.11.
import { expect } from "chai";
import { fresh, run } from "../helpers/run.js";

describe("exit", () => {
  it("waiters in waitforexit do not keep the loop going; when it runs out of work they resume in order", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    for (const name of ["a", "b", "c"]) {
      copas.addthread(function* () {
        yield* copas.waitforexit();
        log.push([name, copas.exiting(), copas.gettime()]);
      });
    }
    copas.addthread(function* () {
      yield* copas.pause(2);
      log.push(["worker done", copas.exiting()]);
    });
    await run(copas);
    expect(log).to.deep.equal([
      ["worker done", false],
      ["a", true, 2],
      ["b", true, 2],
      ["c", true, 2],
    ]);
  });

  it("exit() from a thread wakes the waiters at once; later waits return at once", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    await run(copas, function* () {
      copas.addthread(function* () {
        yield* copas.waitforexit();
        log.push("waiter");
      });
      copas.addthread(function* () {
        yield* copas.pause(1);
        log.push(["exiting before", copas.exiting()]);
        copas.exit();
        copas.exit(); // once is enough
        log.push(["exiting after", copas.exiting()]);
        yield* copas.waitforexit();
        log.push("no wait");
      });
      yield* copas.pause(5); // work that goes on after exit()
      log.push(["init done", copas.gettime()]);
    });
    expect(log).to.deep.equal([["exiting before", false], ["exiting after", true], "no wait", "waiter", ["init done", 5]]);
  });

  it("each loop starts with exiting() false and a fresh exit signal", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    await run(copas);
    log.push(copas.exiting());
    await run(copas, function* () {
      log.push(copas.exiting());
      copas.addthread(function* () {
        yield* copas.waitforexit();
        log.push("second loop's waiter");
      });
      yield* copas.pause(1);
      log.push("init done");
    });
    expect(log).to.deep.equal([true, false, "init done", "second loop's waiter"]);
  });

  it("a waiter removed from waitforexit is just gone", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    await run(copas, function* () {
      const a = copas.addthread(function* () {
        try {
          yield* copas.waitforexit();
          log.push("a resumed");
        } finally {
          log.push("a finally");
        }
      });
      copas.addthread(function* () {
        yield* copas.waitforexit();
        log.push("b resumed");
      });
      yield* copas.pause(0);
      copas.removethread(a);
    });
    expect(log).to.deep.equal(["a finally", "b resumed"]);
  });
});
