import { expect } from "chai";
import { ManualClock } from "copas/sim";
import { SimStream, type SimFabric } from "../../lib/sim/sim-stream.js";

/** Two connected ends over a fabric with a fixed latency and chunk size. */
function pair(latency = 1, chunkSize = Infinity) {
  const clock = new ManualClock();
  const log: string[] = [];
  let blocked = false;
  const held: (() => void)[] = [];
  const fabric: SimFabric = {
    clock,
    _delay: () => latency,
    _chunkSize: chunkSize,
    _blocked: () => blocked,
    _hold: (_a, _b, fn) => held.push(fn),
    _tracing: true,
    _log: (l) => log.push(`${clock.now()} ${l}`),
    _downs: 0,
    _isDown: () => false,
    _faults: null,
    _gone: () => {},
  };
  const a = new SimStream(fabric, "a", 1, "b", 2, false);
  const b = new SimStream(fabric, "b", 2, "a", 1, false);
  a._peer = b;
  b._peer = a;
  const got: string[] = [];
  b.on("data", (d: Buffer) => got.push(d.toString("latin1")));
  b.on("end", () => got.push("<end>"));
  return {
    clock,
    a,
    b,
    got,
    log,
    block: (v: boolean) => {
      blocked = v;
      if (!v) held.splice(0).forEach((f) => f());
    },
  };
}

describe("sim/sim-stream", () => {
  it("delivers after the latency, in chunks of at most chunkSize bytes", () => {
    const { clock, a, got, log } = pair(0.5, 3);
    a.write("abcdefg", "latin1");
    expect(a.writableLength).to.equal(7);
    clock.advance(0.49);
    expect(got).to.deep.equal([]);
    clock.advance(0.01);
    expect(got).to.deep.equal(["abc", "def", "g"]);
    expect(a.writableLength).to.equal(0);
    expect(log).to.deep.equal(["0.5 deliver a:1>b:2 3 bytes", "0.5 deliver a:1>b:2 3 bytes", "0.5 deliver a:1>b:2 1 bytes"]);
  });

  it("calls a write's callback once all of it is delivered", () => {
    const { clock, a } = pair(1);
    const done: string[] = [];
    a.write("xx", "latin1", () => done.push(`first@${clock.now()}`));
    clock.advance(0.5);
    a.write(Buffer.from("yy"), "latin1", (e) => done.push(`second@${clock.now()} ${e ?? null}`));
    clock.advance(0.5);
    expect(done).to.deep.equal(["first@1"]);
    expect(a.writableLength).to.equal(2);
    clock.advance(0.5);
    expect(done).to.deep.equal(["first@1", "second@1.5 null"]);
  });

  it("holds deliveries while the receiver is paused, and counts them as unsent", () => {
    const { clock, a, b, got } = pair(0.1);
    b.pause();
    a.write("one", "latin1");
    a.write("two", "latin1");
    clock.advance(1);
    expect(got).to.deep.equal([]);
    expect(a.writableLength).to.equal(6);
    b.resume();
    expect(got).to.deep.equal(["one", "two"]);
    expect(a.writableLength).to.equal(0);
  });

  it("holds deliveries while the hosts are partitioned", () => {
    const { clock, a, got, block, log } = pair(0.1);
    block(true);
    a.write("held", "latin1");
    clock.advance(5);
    expect(got).to.deep.equal([]);
    expect(log).to.deep.equal(["0.1 held a:1>b:2 partition"]);
    block(false);
    expect(got).to.deep.equal(["held"]);
  });

  it("ends after the data written before end(); writes after it fail", () => {
    const { clock, a, got } = pair(0.1);
    a.write("last", "latin1");
    a.end();
    const errs: string[] = [];
    a.on("error", (e: Error & { code?: string }) => errs.push(e.code!));
    expect(a.write("late", "latin1")).to.equal(false);
    clock.advance(0.1);
    expect(got).to.deep.equal(["last", "<end>"]);
    expect(errs).to.deep.equal(["ERR_STREAM_WRITE_AFTER_END"]);
  });

  it("resets the sender when data reaches a destroyed end", () => {
    const { clock, a, b, log } = pair(0.1);
    const events: string[] = [];
    a.on("error", (e: Error & { code?: string }) => events.push(`error ${e.code}`));
    a.on("close", () => events.push("close"));
    b.destroy();
    a.write("nobody reads", "latin1", (e) => events.push(`cb ${e ? "error" : "ok"}`));
    clock.advance(0.1);
    expect(events).to.deep.equal(["cb error", "error ECONNRESET", "close"]);
    expect(a.destroyed).to.equal(true);
    expect(log).to.include("0.1 refused a:1>b:2 peer closed, reset");
  });

  it("_reset drops the data in flight both ways and fails both ends", () => {
    const { clock, a, b, got } = pair(1);
    const errs: string[] = [];
    a.on("error", (e: Error & { code?: string }) => errs.push(`a ${e.code}`));
    b.on("error", (e: Error & { code?: string }) => errs.push(`b ${e.code}`));
    a.write("lost", "latin1");
    a._reset();
    expect(errs).to.deep.equal(["a ECONNRESET", "b ECONNRESET"]);
    expect(a.writableLength).to.equal(0);
    expect(clock.pending).to.equal(0);
    clock.advance(2);
    expect(got).to.deep.equal([]);
  });
});
