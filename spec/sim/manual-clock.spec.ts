import { expect } from "chai";
import { Copas } from "copas";
import { ManualClock, SimNetwork } from "copas/sim";
import { sim } from "./helpers.js";

describe("sim/manual-clock", () => {
  it("moves only when told, and never backwards", () => {
    const c = new ManualClock(100);
    expect(c.now()).to.equal(100);
    c.advance(2.5);
    expect(c.now()).to.equal(102.5);
    c.set(110);
    expect(c.now()).to.equal(110);
    c.advance(0);
    expect(c.now()).to.equal(110);
    expect(() => c.set(109)).to.throw(RangeError, /cannot move the clock backwards \(now 110, asked 109\)/);
    expect(() => c.advance(-1)).to.throw(RangeError, /cannot move the clock backwards/);
    expect(() => c.advance(NaN)).to.throw(TypeError, /ManualClock.advance: bad argument 'seconds'/);
    expect(() => c.set(Infinity)).to.throw(TypeError, /finite number/);
    expect(() => new ManualClock("0" as unknown as number)).to.throw(TypeError, /ManualClock: bad argument 'start'/);
    expect(new ManualClock().now()).to.equal(0);
    expect(c.now()).to.equal(110);
  });

  it("fires timers in (time, insertion) order, each at its exact time", () => {
    const c = new ManualClock();
    const seen: string[] = [];
    c.setTimer(2, () => seen.push(`b@${c.now()}`));
    c.setTimer(1, () => seen.push(`a@${c.now()}`));
    c.setTimer(2, () => seen.push(`c@${c.now()}`));
    const gone = c.setTimer(1.5, () => seen.push("cancelled"));
    c.setTimer(0, () => seen.push(`z@${c.now()}`));
    c.clearTimer(gone);
    expect(c.pending).to.equal(4);
    expect(c.nextTimer()).to.equal(0);
    c.advance(1.5);
    expect(seen).to.deep.equal(["z@0", "a@1"]);
    expect(c.now()).to.equal(1.5);
    c.set(10);
    expect(seen).to.deep.equal(["z@0", "a@1", "b@2", "c@2"]);
    expect(c.pending).to.equal(0);
    expect(c.nextTimer()).to.equal(null);
  });

  it("fires a timer set by a timer for the same instant in the same advance", () => {
    const c = new ManualClock();
    const seen: number[] = [];
    c.setTimer(1, () => c.setTimer(0, () => seen.push(c.now())));
    c.advance(1);
    expect(seen).to.deep.equal([1]);
  });

  it("without autoAdvance, a step with nothing due returns false at once and time stays", async () => {
    const { clock, copas } = sim({ auto: false });
    let woke = -1;
    copas.addnamedthread("sleeper", function* () {
      yield* copas.pause(5);
      woke = copas.gettime();
    });
    expect(await copas.step()).to.equal(false); // runs the thread: it sleeps
    expect(await copas.step()).to.equal(false); // nothing due: no wait
    expect(await copas.step(60)).to.equal(false); // not even with a timeout
    expect(clock.now()).to.equal(0);
    expect(woke).to.equal(-1);
    clock.advance(4.999);
    await copas.step();
    expect(woke).to.equal(-1);
    clock.advance(0.001);
    await copas.step();
    expect(woke).to.equal(5);
    expect(copas.finished()).to.equal(true);
  });

  it("without autoAdvance, loop() yields to the test, which moves time", async () => {
    const { clock, copas } = sim({ auto: false });
    let woke = -1;
    copas.addthread(function* () {
      yield* copas.pause(5);
      woke = copas.gettime();
    });
    const done = copas.loop();
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    expect(woke).to.equal(-1);
    clock.advance(5);
    await done;
    expect(woke).to.equal(5);
  });

  it("with autoAdvance, an hour of pauses takes no real time and ends at the exact instant", async () => {
    const { clock, copas } = sim();
    const ends: number[] = [];
    for (const d of [3600, 1800, 0.25]) {
      copas.addthread(function* () {
        const slept = yield* copas.pause(d);
        ends.push(slept, copas.gettime());
      });
    }
    await copas.loop();
    expect(ends).to.deep.equal([0.25, 0.25, 1800, 1800, 3600, 3600]);
    expect(clock.now()).to.equal(3600);
  });

  it("times a 30 s receive timeout out at exactly 30 s", async () => {
    const { net, copas } = sim();
    const [server] = await net.socket.bind("10.0.0.1", 80);
    copas.addserver(server!, function* (skt) {
      yield* copas.receive(skt); // never answers
    });
    const got: unknown[] = [];
    copas.addthread(function* () {
      const c = copas.wrap(net.socket.tcp());
      yield* c.connect("10.0.0.1", 80);
      yield* copas.pause(12.5);
      c.settimeout(30);
      const t0 = copas.gettime();
      got.push(yield* c.receive());
      got.push(copas.gettime() - t0, copas.gettime());
      c.close();
      copas.removeserver(server!);
    });
    await copas.loop();
    expect(got).to.deep.equal([[null, "timeout", ""], 30, 42.5]);
  });

  it("lets Promises that need no time settle before jumping", async () => {
    const { net, copas } = sim();
    const seen: string[] = [];
    copas.addthread(function* () {
      yield* copas.pause(10);
      seen.push(`pause ${copas.gettime()}`);
    });
    copas.addthread(function* () {
      const [s] = (yield net.socket.bind("10.0.0.9", 1)) as [{ close(): unknown }];
      seen.push(`bound ${copas.gettime()}`);
      s.close();
    });
    await copas.loop();
    expect(seen).to.deep.equal(["bound 0", "pause 10"]);
  });

  it("waits on a Promise that needs simulated time (socket.connect) without a deadlock", async () => {
    const { net, copas } = sim({ latency: 0.5 });
    const [server] = await net.socket.bind("db", 5432);
    copas.addserver(server!, function* () {});
    const got: unknown[] = [];
    copas.addthread(function* () {
      const [c, err] = (yield net.socket.connect("db", 5432)) as [{ close(): unknown } | null, string | null];
      got.push(err, copas.gettime());
      c?.close();
      copas.removeserver(server!);
    });
    await copas.loop();
    expect(got).to.deep.equal([null, 1]);
  });

  it("is driven by the dispatcher of its network", () => {
    const clock = new ManualClock();
    const net = new SimNetwork({ clock });
    expect(new Copas({ network: net }).gettime()).to.equal(0);
    expect(() => new Copas({ clock: new ManualClock(), network: net })).to.throw(TypeError, /options.clock/);
  });
});
