// Issue 9, item 9: queue:finish() returns only after every worker has finished its last item
// and exited (Copas's exit semaphore), so "finished" comes after the last "end item".

import { expect } from "chai";
import { fresh, run } from "../helpers/run.js";

describe("queue: finish waits for the workers", () => {
  it("returns after the last worker finished its last item and exited", async () => {
    const copas = fresh();
    const log: string[] = [];
    await run(copas, function* () {
      const q = copas.queue.new({ name: "work" });
      for (const secs of [0.2, 0.3]) {
        q.add_worker(function* (item) {
          log.push(`start ${String(item)}`);
          yield* copas.pause(secs);
          log.push(`end ${String(item)}`);
        });
      }
      for (const item of ["a", "b", "c"]) q.push(item);
      expect(yield* q.finish(5)).to.deep.equal([true, null]);
      log.push("finished");
      expect(q.get_workers()).to.deep.equal([null, "destroyed"]);
    });
    expect(log).to.deep.equal(["start a", "start b", "end a", "start c", "end b", "end c", "finished"]);
  });

  it("times out (and destroys the queue) when a worker's last item outlasts the timeout", async () => {
    const copas = fresh();
    const log: string[] = [];
    await run(copas, function* () {
      const q = copas.queue.new();
      q.add_worker(function* (item) {
        yield* copas.pause(1);
        log.push(`end ${String(item)}`);
      });
      q.push("a");
      const t0 = copas.gettime();
      expect(yield* q.finish(0.5)).to.deep.equal([null, "timeout"]);
      log.push("timed out");
      expect(copas.gettime() - t0).to.be.closeTo(0.5, 1e-6);
    });
    expect(log).to.deep.equal(["timed out", "end a"]);
  });

  it("lets two threads finish() at once; both return once the workers are out", async () => {
    const copas = fresh();
    const log: string[] = [];
    await run(copas, function* () {
      const q = copas.queue.new();
      q.push(1);
      copas.addthread(function* () {
        log.push(`other ${JSON.stringify(yield* q.finish(5))}`);
      });
      yield* copas.pause(0); // "other" waits in finish() before the worker takes the item
      q.add_worker(function* () {
        yield* copas.pause(0.3);
        log.push("worker done");
      });
      log.push(`main ${JSON.stringify(yield* q.finish(5))}`);
    });
    expect(log[0]).to.equal("worker done");
    expect(log.slice(1).sort()).to.deep.equal(["main [true,null]", "other [true,null]"]);
  });

  it("returns at once when there are no workers", async () => {
    const copas = fresh();
    await run(copas, function* () {
      const q = copas.queue.new();
      q.push(1);
      yield* q.pop();
      expect(yield* q.finish(5)).to.deep.equal([true, null]);
    });
  });
});
