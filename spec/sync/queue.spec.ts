import { expect } from "chai";
import { Queue, type Thread } from "copas";
import { fresh, run } from "../helpers/run.js";

describe("queue", () => {
  it("names unnamed queues per dispatcher, and workers after their queue", () => {
    const copas = fresh();
    const q1 = copas.queue.new();
    const q2 = copas.queue.new({ name: "jobs" });
    const q3 = copas.queue.new(null);
    expect(q1).to.be.instanceOf(Queue);
    expect([q1.name, q2.name, q3.name]).to.deep.equal(["copas_queue_1", "jobs", "copas_queue_2"]);
    const [w1] = q2.add_worker(() => {});
    const [w2] = q2.add_worker(() => {});
    expect([w1!.name, w2!.name]).to.deep.equal(["jobs:worker_1", "jobs:worker_2"]);
    expect(fresh().queue.new().name).to.equal("copas_queue_1");
    copas.cancelall();
  });

  it("pushes, pops in order, waits, times out, carries nulls, stops (Copas tests/queue.lua, test 1)", async () => {
    const copas = fresh();
    const seen: unknown[] = [];
    let count = 0;
    let worker: Thread | null = null;
    await run(copas, function* () {
      const q = copas.queue.new();
      q.push("hello");
      seen.push(yield* q.pop());
      const s = copas.gettime();
      copas.addthread(function* () {
        yield* copas.pause(0.5);
        q.push("delayed");
      });
      seen.push(yield* q.pop(), copas.gettime() - s);
      seen.push(yield* q.pop(0.5), copas.gettime() - s);
      seen.push(q.get_size());
      q.push(1);
      q.push(2);
      q.push(3);
      seen.push(q.get_size());
      seen.push(yield* q.pop(), yield* q.pop(), yield* q.pop());
      q.push(1);
      q.push(null);
      q.push(3);
      seen.push(yield* q.pop(), yield* q.pop(), yield* q.pop());
      q.push(1);
      q.push(2);
      q.push(3);
      seen.push(q.stop());
      seen.push(q.push(4));
      [worker] = q.add_worker(() => {
        count++;
      });
      yield* copas.pause(0.1);
      seen.push(count, worker!.status());
      seen.push(q.push(5), yield* q.pop(), q.get_size(), q.get_workers());
    });
    expect(seen).to.deep.equal([
      ["hello", null],
      ["delayed", null],
      0.5,
      [null, "timeout"],
      1,
      [0, null],
      [3, null],
      [1, null],
      [2, null],
      [3, null],
      [1, null],
      [null, null],
      [3, null],
      [true, null],
      [null, "stopping"],
      3,
      "dead",
      [null, "destroyed"],
      [null, "destroyed"],
      [null, "destroyed"],
      [null, "destroyed"],
    ]);
  });

  it("a worker gets null items; finish waits for the queue to run empty (test 2)", async () => {
    const copas = fresh();
    let count = 0;
    let r: unknown;
    await run(copas, function* () {
      const q = copas.queue.new();
      q.push(1);
      q.push(null);
      q.push(3);
      q.add_worker(() => {
        count++;
      });
      yield* copas.pause(0.5);
      r = yield* q.finish(5);
    });
    expect([count, r]).to.deep.equal([3, [true, null]]);
  });

  it("finish times out and destroys the queue, unless told not to (test 3)", async () => {
    const copas = fresh();
    const seen: unknown[] = [];
    await run(copas, function* () {
      const q = copas.queue.new();
      q.push(1); // no workers: never handled
      let s = copas.gettime();
      seen.push(yield* q.finish(1), copas.gettime() - s, q.get_size());
      const q2 = copas.queue.new();
      q2.push(1);
      s = copas.gettime();
      seen.push(yield* q2.finish(2, true), copas.gettime() - s, q2.get_size());
      seen.push(yield* q2.pop(), q2.get_size()); // the last item out: destroyed
    });
    expect(seen).to.deep.equal([
      [null, "timeout"],
      1,
      [null, "destroyed"],
      [null, "timeout"],
      2,
      [1, null],
      [1, null],
      [null, "destroyed"],
    ]);
  });

  it("stop ends idle workers, and the loop (test 4)", async () => {
    const copas = fresh();
    let w: Thread | null = null;
    let workers: unknown;
    await run(copas, function* () {
      const q = copas.queue.new();
      [w] = q.add_worker(() => {});
      yield* copas.pause(0.5); // the worker now waits on the queue
      workers = q.get_workers()[0];
      q.stop();
    });
    expect(workers).to.deep.equal([w]);
    expect(w!.status()).to.equal("dead");
  });

  it("two workers with items of 0.5 s and finish at 0.75 s: starts and ends in Copas's order", async () => {
    const copas = fresh();
    const log: string[] = [];
    const at = (what: string) => log.push(`${what} @${copas.gettime()}`);
    await run(copas, function* () {
      const q = copas.queue.new<number>({ name: "q" });
      for (let i = 0; i < 2; i++) {
        q.add_worker(function* (item) {
          at(`${copas.getthreadname()} start ${item}`);
          yield* copas.pause(0.5);
          at(`${copas.getthreadname()} end ${item}`);
        });
      }
      for (let i = 1; i <= 5; i++) q.push(i);
      yield* copas.pause(0.75);
      at("finish");
      const r = yield* q.finish();
      at(`finished ${String(r)}`);
    });
    expect(log).to.deep.equal([
      "q:worker_1 start 1 @0",
      "q:worker_2 start 2 @0",
      "q:worker_1 end 1 @0.5",
      "q:worker_1 start 3 @0.5",
      "q:worker_2 end 2 @0.5",
      "q:worker_2 start 4 @0.5",
      "finish @0.75",
      "q:worker_1 end 3 @1",
      "q:worker_1 start 5 @1", // the last item out: the queue is destroyed
      "q:worker_2 end 4 @1",
      "q:worker_1 end 5 @1.5", // and finish waits for the workers to exit (issue 9, item 9)
      "finished true, @1.5",
    ]);
  });

  it("a worker that throws ends (as Copas: workers run unprotected) and the error is reported", async () => {
    const copas = fresh();
    const errors: unknown[] = [];
    let workers: unknown;
    await copas.loop(function* () {
      copas.seterrorhandler((e, t) => errors.push([String(e), t?.name]), true);
      const q = copas.queue.new({ name: "bad" });
      q.add_worker(() => {
        throw new Error("boom");
      });
      q.push(1);
      yield* copas.pause(0.1);
      workers = q.get_workers();
      q.destroy();
    });
    expect(errors).to.deep.equal([["Error: boom", "bad:worker_1"]]);
    expect(workers).to.deep.equal([[], null]);
  });

  it("rejects bad arguments with a TypeError naming them", () => {
    const copas = fresh();
    expect(() => copas.queue.new(5 as never)).to.throw(TypeError, /'opts'/);
    expect(() => copas.queue.new({ name: 5 as never })).to.throw(TypeError, /'opts\.name'/);
    const q = copas.queue.new();
    expect(() => q.add_worker("x" as never)).to.throw(TypeError, /'worker'/);
    expect(() => q.pop(-1)).to.throw(TypeError, /queue\.pop.*'timeout'/);
    expect(() => q.finish("1" as never)).to.throw(TypeError, /'timeout'/);
  });
});
