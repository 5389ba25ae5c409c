import { expect } from "chai";
import { Timer } from "copas";
import { fresh, run } from "../helpers/run.js";

describe("timer", () => {
  it("recurs, honours initial_delay, cancels, re-arms, survives errors (Copas tests/timer.lua)", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    let successes = 0;
    await run(copas, function* () {
      let countT1 = 0;
      const t1 = copas.timer.new({
        delay: 0.5,
        recurring: true,
        params: "hello world",
        callback(_t, params) {
          expect(params).to.equal("hello world");
          successes++;
          countT1++;
        },
      });
      const t2 = copas.timer.new({
        delay: 0.2,
        recurring: false,
        params: { start: copas.gettime() },
        initial_delay: 0.1,
        callback(_t, params) {
          log.push(["t2", copas.gettime() - params.start]);
          successes++;
        },
      });
      copas.timer.new({
        delay: 3.3,
        callback(self) {
          log.push(["t3", t1.cancel(), t2.cancel(), countT1, self.cancel()]);
          successes += 2;
        },
      });
      copas.timer.new({
        delay: 0.1,
        recurring: true,
        callback(self) {
          log.push(["re-arm recurring", self.arm(1), self.cancel()]);
          successes++;
        },
      });
      let touched: number | null = null;
      copas.timer.new({
        delay: 0.1,
        recurring: false,
        callback(self) {
          if (touched === null) {
            const [ok, err] = self.arm(3);
            log.push(["re-armed", ok === self, err]);
            touched = copas.gettime();
            successes++;
          } else {
            log.push(["re-armed ran after", copas.gettime() - touched]);
            successes += 2;
          }
        },
      });
      let count = 0;
      const paramsIn = {};
      copas.timer.new({
        name: "error-test",
        delay: 0.1,
        recurring: true,
        params: paramsIn,
        errorhandler(msg, co, skt) {
          const text = copas.gettraceback(msg, co, skt);
          log.push(["errorhandler", /error-test/.test(text), /error [12]!/.test(text)]);
          successes++;
        },
        callback(self, params) {
          expect(params).to.equal(paramsIn);
          count++;
          if (count === 2) self.cancel();
          throw new Error(`error ${count}!`);
        },
      });
    });
    expect(log).to.deep.equal([
      ["t2", 0.1],
      ["re-arm recurring", [null, "already armed"], [true, null]],
      ["re-armed", true, null],
      ["errorhandler", true, true],
      ["errorhandler", true, true],
      ["re-armed ran after", 3],
      ["t3", [true, null], [null, "not armed"], 6, [null, "not armed"]],
    ]);
    expect(successes).to.equal(15);
  });

  it("a cancelled callback in progress runs to its end and is not called again (Copas #206)", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    await run(copas, function* () {
      const gate = copas.queue.new<string>();
      const t = copas.timer.new({
        delay: 0.1,
        recurring: true,
        *callback() {
          log.push(["called", copas.gettime()]);
          const [item] = yield* gate.pop(Infinity); // waits, as on socket I/O
          log.push(["finished", item, copas.gettime()]);
        },
      });
      yield* copas.pause(0.15);
      log.push(["cancel", t.cancel(), t.armed]);
      gate.push("wakeup");
      yield* copas.pause(0.5);
    });
    expect(log).to.deep.equal([
      ["called", 0.1],
      ["cancel", [true, null], false],
      ["finished", "wakeup", 0.15],
    ]);
  });

  it("cancel and arm during a callback in progress: only the new arming calls back (Copas would run both)", async () => {
    const copas = fresh();
    const calls: number[] = [];
    await run(copas, function* () {
      const gate = copas.queue.new();
      const t = copas.timer.new({
        delay: 1,
        recurring: true,
        *callback() {
          calls.push(copas.gettime());
          if (calls.length === 1) yield* gate.pop(Infinity);
        },
      });
      yield* copas.pause(1.5);
      expect(t.cancel()).to.deep.equal([true, null]);
      expect(t.arm()).to.deep.equal([t, null]);
      gate.push(1);
      yield* copas.pause(2.2);
      t.cancel();
    });
    expect(calls).to.deep.equal([1, 2.5, 3.5]);
  });

  it("runs on a thread of its own, named; a generator callback may wait", async () => {
    const copas = fresh();
    const log: unknown[] = [];
    await run(copas, function* () {
      const t = copas.timer.new({
        delay: 1,
        *callback(self) {
          log.push([copas.getthreadname(), self.name]);
          yield* copas.pause(2);
          log.push(["done", copas.gettime()]);
        },
      });
      expect(t).to.be.instanceOf(Timer);
      const named = copas.timer.new({ name: "tick", delay: 0, callback: () => log.push(copas.getthreadname()) });
      expect(named.name).to.equal("tick");
    });
    expect(log).to.deep.equal(["tick", ["copas_timer_1", "copas_timer_1"], ["done", 3]]);
  });

  it("rejects bad arguments with a TypeError naming them", () => {
    const { timer } = fresh();
    expect(() => timer.new(null as never)).to.throw(TypeError, /'opts'/);
    expect(() => timer.new({ delay: -1, callback: () => {} })).to.throw(TypeError, /'opts\.delay'/);
    expect(() => timer.new({ callback: () => {} } as never)).to.throw(TypeError, /'opts\.delay'/);
    expect(() => timer.new({ delay: 1 } as never)).to.throw(TypeError, /'opts\.callback'/);
    expect(() => timer.new({ delay: 1, initial_delay: -1, callback: () => {} })).to.throw(TypeError, /'opts\.initial_delay'/);
    expect(() => timer.new({ delay: 1, name: 3 as never, callback: () => {} })).to.throw(TypeError, /'opts\.name'/);
    expect(() => timer.new({ delay: 1, errorhandler: 3 as never, callback: () => {} })).to.throw(TypeError, /'opts\.errorhandler'/);
    const t = timer.new({ delay: 1, callback: () => {} });
    expect(() => t.arm(-1)).to.throw(TypeError, /timer\.arm.*'initialDelay'/);
    t.cancel();
  });
});
