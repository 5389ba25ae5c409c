// The precise clock: timers kept by a helper thread, never ending before their deadline, in
// deadline order, cancellable, and never keeping a process alive. Only lower bounds on time
// are asserted (a loaded machine may end any timer late, never early).
import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect } from "chai";
import { Copas, preciseClock } from "copas";

const ms = (): number => preciseClock.now() * 1000;
const after = (seconds: number): Promise<number> =>
  new Promise((resolve) => {
    const t0 = ms();
    preciseClock.setTimer(seconds, () => resolve(ms() - t0));
  });

describe("precise clock", function () {
  this.timeout(20_000);

  it("ends no timer before its deadline, whether Node's timers or the helper keep it", async () => {
    // The first ones may run before the helper has started (Node's setTimeout, checked again).
    for (let i = 0; i < 40; i++) {
      const d = 0.0005 + (i % 7) * 0.0004;
      expect(await after(d)).to.be.at.least(d * 1000, `timer ${i} of ${d * 1000} ms`);
    }
  });

  it("runs timers in deadline order, whatever order they were set in", async () => {
    await after(0.001); // the helper runs from here on
    const order: number[] = [];
    await new Promise<void>((resolve) => {
      for (const d of [6, 2, 4, 1, 5, 3]) {
        preciseClock.setTimer(d / 1000, () => {
          order.push(d);
          if (order.length === 6) resolve();
        });
      }
    });
    expect(order).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it("cancels with clearTimer, also the earliest pending one", async () => {
    let fired = 0;
    const h = preciseClock.setTimer(0.002, () => fired++);
    const h2 = preciseClock.setTimer(0.004, () => fired++);
    preciseClock.clearTimer(h);
    preciseClock.clearTimer(h2);
    preciseClock.clearTimer(h2); // twice: ignored
    preciseClock.clearTimer(null);
    await after(0.02);
    expect(fired).to.equal(0);
  });

  it("takes 0 as Node's setImmediate", async () => {
    const seen: string[] = [];
    await new Promise<void>((resolve) => {
      preciseClock.setTimer(0, () => {
        seen.push("timer");
        resolve();
      });
      seen.push("set");
    });
    expect(seen).to.deep.equal(["set", "timer"]);
  });

  it("serves a dispatcher: copas.pause sleeps at least as long as asked", async () => {
    const copas = new Copas({ clock: preciseClock });
    const slept: number[] = [];
    copas.addthread(function* () {
      for (const d of [0.001, 0.0025, 0.0004, 0.003]) {
        const t0 = ms();
        yield* copas.pause(d);
        slept.push(ms() - t0 - d * 1000);
      }
    });
    await copas.loop();
    expect(slept).to.have.length(4);
    for (const late of slept) expect(late).to.be.at.least(0);
  });

  it("does not keep a process alive: it ends when its loop is done", () => {
    const r = spawnSync(process.execPath, ["--conditions=copas-source", "--import", "tsx", path.join("spec", "fixtures", "precise-exit.ts")], {
      encoding: "utf8",
      timeout: 15_000,
    });
    expect(r.error, String(r.error)).to.equal(undefined);
    expect(r.status, r.stderr).to.equal(0);
    const m = /slept (\d+\.\d+)/.exec(r.stdout);
    expect(m, r.stdout).to.not.equal(null);
    expect(Number(m![1])).to.be.at.least(3);
  });
});
