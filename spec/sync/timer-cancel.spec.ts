// Found by the oracle (test/oracle, errors/module-asserts): a timer cancelled before its thread
// first ran slept out its whole initial delay (the loop kept running); Copas's cancel removes the
// thread, so the loop ends at once.

import { expect } from "chai";
import { fresh, run } from "../helpers/run.js";

describe("timer: cancel before the first run", () => {
  it("ends the timer's thread without waiting for the initial delay", async () => {
    const copas = fresh();
    let fired = false;
    const t0 = copas.gettime();
    await run(copas, function* () {
      const t = copas.timer.new({ delay: 1, initial_delay: 1000, callback: () => void (fired = true) });
      expect(t.cancel()).to.deep.equal([true, null]);
    });
    expect(fired).to.equal(false);
    expect(copas.gettime() - t0).to.be.lessThan(1);
  });

  it("can be armed again after such a cancel, and then fires", async () => {
    const copas = fresh();
    const fired: number[] = [];
    await run(copas, function* () {
      const t = copas.timer.new({ delay: 0.5, initial_delay: 1000, callback: () => void fired.push(1) });
      t.cancel();
      expect(t.arm()[0]).to.equal(t);
    });
    expect(fired).to.deep.equal([1]);
  });
});
