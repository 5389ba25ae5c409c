import { expect } from "chai";
import { Copas } from "copas";

// Readiness is looked at every step (dispatcher-fairness.spec.ts), but only where something
// could be ready: with no socket waited on and no promise awaited, a poll finds nothing, and
// steps of runnable threads (lock hand-offs, queues) run back to back, letting the event loop
// in every 64 steps.
describe("dispatcher: runnable-only steps with nothing to poll", () => {
  it("run back to back, letting the event loop in every 64 steps", async () => {
    const copas = new Copas();
    let rounds = 0;
    let seenAt = -1;
    copas.addthread(function* () {
      while (seenAt < 0) {
        yield* copas.pause(0);
        rounds++;
      }
    });
    setImmediate(() => {
      seenAt = rounds;
    });
    await copas.loop();
    expect(seenAt).to.be.within(2, 64);
  });

  it("still let the event loop in every step while a thread awaits a promise", async () => {
    const copas = new Copas();
    let rounds = 0;
    let seenAt = -1;
    copas.addthread(function* () {
      yield* copas.await(new Promise<void>((r) => setTimeout(r, 1)));
    });
    copas.addthread(function* () {
      while (seenAt < 0) {
        yield* copas.pause(0);
        rounds++;
      }
    });
    setImmediate(() => {
      seenAt = rounds;
    });
    await copas.loop();
    expect(seenAt).to.be.within(0, 1);
  });
});
