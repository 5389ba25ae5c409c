import { expect } from "chai";
import { Copas, type Op } from "copas";
import { pair } from "../helpers/net.js";

/** Runs `fn` as the only thread of a fresh dispatcher; resolves with what it returned. */
async function run<T>(fn: (copas: Copas) => Generator<unknown, T, unknown>): Promise<T> {
  const copas = new Copas();
  let out: { v: T } | null = null;
  let failed = false;
  let failure: unknown;
  copas.seterrorhandler((err) => {
    failed = true;
    failure = err;
  }, true);
  copas.addthread(function* () {
    out = { v: yield* fn(copas) };
  });
  await copas.loop();
  if (failed) throw failure;
  if (out === null) throw new Error("the thread did not finish");
  return (out as { v: T }).v;
}

/** How many more JavaScript frames fit on the stack from here. */
function depthLeft(): number {
  let n = 0;
  const f = (): void => {
    n++;
    f();
  };
  try {
    f();
  } catch {
    /* RangeError: the stack is full */
  }
  return n;
}

describe("trampoline", () => {
  describe("nested generators", () => {
    it("runs `yield gen` as a sub-call and gives its return value", async () => {
      function* inner(x: number): Generator<unknown, number, unknown> {
        return x * 2;
      }
      const v = await run(function* () {
        const a = (yield inner(21)) as number;
        return a;
      });
      expect(v).to.equal(42);
    });

    it("nests `yield gen` 100,000 deep without growing the stack", async () => {
      function* down(n: number): Generator<unknown, number, unknown> {
        if (n === 0) return 0;
        return ((yield down(n - 1)) as number) + 1;
      }
      const v = await run(function* () {
        return (yield down(100_000)) as number;
      });
      expect(v).to.equal(100_000);
    });

    it("nests `yield*` and `yield gen` mixed, with a wait at the bottom", async () => {
      const copas = new Copas();
      let got: number | null = null;
      function* bottom(): Op<number> {
        yield* copas.pause(0);
        return 1;
      }
      function* star(n: number): Op<number> {
        if (n === 0) return yield* bottom();
        return (yield* star(n - 1)) + 1;
      }
      function* plain(n: number): Generator<unknown, number, unknown> {
        if (n === 0) return yield* star(50);
        return ((yield plain(n - 1)) as number) + 1;
      }
      copas.addthread(function* () {
        got = (yield plain(50)) as number;
      });
      await copas.loop();
      expect(got).to.equal(101);
    });

    it("propagates exceptions up through frames, and into frames", async () => {
      function* thrower(): Generator<unknown, never, unknown> {
        yield* [];
        throw new Error("deep");
      }
      function* middle(): Generator<unknown, string, unknown> {
        try {
          yield thrower();
          return "not reached";
        } finally {
          /* unwinds through here */
        }
      }
      const v = await run(function* () {
        try {
          yield middle();
          return "no error";
        } catch (e) {
          return (e as Error).message;
        }
      });
      expect(v).to.equal("deep");
    });

    it("lets a frame catch what its sub-call threw and go on", async () => {
      function* bad(): Generator<unknown, never, unknown> {
        throw new TypeError("bad");
      }
      const v = await run(function* () {
        const out: string[] = [];
        for (let i = 0; i < 3; i++) {
          try {
            yield bad();
          } catch (e) {
            out.push((e as Error).message);
          }
        }
        return out;
      });
      expect(v).to.deep.equal(["bad", "bad", "bad"]);
    });

    it("accepts any iterator, not only generators", async () => {
      const it = {
        next: () => ({ done: true as const, value: "iter" }),
      };
      const v = await run(function* () {
        return yield it;
      });
      expect(v).to.equal("iter");
    });
  });

  describe("promises and thenables", () => {
    it("gives a Promise's value at the yield", async () => {
      const v = await run(function* () {
        return yield Promise.resolve(7);
      });
      expect(v).to.equal(7);
    });

    it("throws a rejection at the yield, catchable there", async () => {
      const v = await run(function* () {
        try {
          yield Promise.reject(new Error("nope"));
          return "no";
        } catch (e) {
          return (e as Error).message;
        }
      });
      expect(v).to.equal("nope");
    });

    it("throws a rejection in a nested frame, where the yield is", async () => {
      function* inner(): Generator<unknown, string, unknown> {
        try {
          yield Promise.reject(new Error("inner"));
          return "no";
        } catch (e) {
          return "caught " + (e as Error).message;
        }
      }
      const v = await run(function* () {
        return (yield inner()) as string;
      });
      expect(v).to.equal("caught inner");
    });

    it("takes thenables (objects and functions with then)", async () => {
      const obj = { then: (ok: (v: unknown) => void) => ok("obj") };
      const fn = Object.assign(() => 0, { then: (ok: (v: unknown) => void) => setImmediate(() => ok("fn")) });
      const bad = { then: (_ok: unknown, fail: (e: unknown) => void) => fail("rejected") };
      const v = await run(function* () {
        const a = yield obj;
        const b = yield fn;
        let c: unknown;
        try {
          yield bad;
        } catch (e) {
          c = e;
        }
        return [a, b, c];
      });
      expect(v).to.deep.equal(["obj", "fn", "rejected"]);
    });

    it("throws at the yield when a thenable's then itself throws", async () => {
      const broken = {
        then() {
          throw new Error("then broke");
        },
      };
      const v = await run(function* () {
        try {
          yield broken;
          return "no";
        } catch (e) {
          return (e as Error).message;
        }
      });
      expect(v).to.equal("then broke");
    });

    it("copas.await gives the value typed, and throws rejections", async () => {
      const v = await run(function* (copas) {
        const n: number = yield* copas.await(Promise.resolve(3));
        const s: string = yield* copas.await("plain value");
        let msg = "";
        try {
          yield* copas.await(Promise.reject(new Error("r")));
        } catch (e) {
          msg = (e as Error).message;
        }
        return [n, s, msg] as const;
      });
      expect(v).to.deep.equal([3, "plain value", "r"]);
    });

    it("keeps the loop running while a thread waits on a promise", async () => {
      const copas = new Copas();
      let resolve!: (v: string) => void;
      const p = new Promise<string>((r) => (resolve = r));
      let got: string | null = null;
      copas.addthread(function* () {
        got = yield* copas.await(p);
      });
      const done = copas.loop();
      await copas.socket.sleep(0);
      expect(copas.finished()).to.equal(false);
      resolve("late");
      await done;
      expect(got).to.equal("late");
    });
  });

  describe("anything else yielded", () => {
    for (const [what, value, text] of [
      ["a number", 42, "a number (42)"],
      ["a string", "hello", 'a string ("hello")'],
      ["a plain object", { a: 1 }, "an object (Object)"],
      ["null", null, "null"],
      ["undefined", undefined, "undefined"],
    ] as const) {
      it(`throws a TypeError naming ${what} into the thread`, async () => {
        const v = await run(function* () {
          try {
            yield value;
            return null;
          } catch (e) {
            return e;
          }
        });
        expect(v).to.be.instanceOf(TypeError);
        expect((v as Error).message).to.contain(`yielded ${text}`);
        expect((v as Error).message).to.contain("Promise");
      });
    }

    it("ends the thread through the error handler when not caught", async () => {
      const copas = new Copas();
      const errs: unknown[] = [];
      copas.seterrorhandler((e) => errs.push(e), true);
      copas.addthread(function* () {
        yield 5;
      });
      await copas.loop();
      expect(errs).to.have.length(1);
      expect(errs[0]).to.be.instanceOf(TypeError);
    });
  });

  describe("a million operations without waiting", () => {
    it("completes 1,000,000 `yield gen` of generators that return at once, stack unchanged", async () => {
      function* nothing(): Generator<unknown, number, unknown> {
        return 1;
      }
      const before = depthLeft();
      const v = await run(function* () {
        let sum = 0;
        for (let i = 0; i < 1_000_000; i++) sum += (yield nothing()) as number;
        return [sum, depthLeft()] as const;
      });
      expect(v[0]).to.equal(1_000_000);
      // The thread ran inside a step (a few frames deeper than here), not 10^6 frames deeper.
      expect(v[1]).to.be.greaterThan(before / 2);
    });

    it("completes 1,000,000 receives, nearly all with the data already there", async () => {
      const copas = new Copas();
      const [a, b] = await pair(copas);
      const N = 1_000_000;
      let ops = 0;
      let bad = 0;
      let depthEnd = 0;
      const before = depthLeft();
      copas.addthread(function* () {
        const chunk = "x".repeat(50_000);
        for (let sent = 0; sent < N; sent += chunk.length) yield* copas.send(a, chunk);
      });
      copas.addthread(function* () {
        for (let i = 0; i < N; i++) {
          const [d] = yield* copas.receive(b, 1);
          if (d !== "x") bad++;
          ops++;
        }
        depthEnd = depthLeft();
      });
      await copas.loop();
      a.close();
      b.close();
      expect(bad).to.equal(0);
      expect(ops).to.equal(N);
      expect(depthEnd).to.be.greaterThan(before / 2);
    });
  });

  describe("plain functions as threads", () => {
    it("runs a plain function to completion when resumed, with its arguments", async () => {
      const copas = new Copas();
      const got: unknown[] = [];
      const t = copas.addthread((x: number, y: string) => {
        got.push(x, y);
      }, 1, "two");
      expect(got).to.deep.equal([]);
      await copas.loop();
      expect(got).to.deep.equal([1, "two"]);
      expect(t.status()).to.equal("dead");
    });

    it("waits for a plain function's returned promise", async () => {
      const copas = new Copas();
      const got: string[] = [];
      copas.addthread(async () => {
        await copas.socket.sleep(0);
        got.push("async done");
      });
      await copas.loop();
      expect(got).to.deep.equal(["async done"]);
    });

    it("reports a plain function's exception to the error handler", async () => {
      const copas = new Copas();
      const errs: string[] = [];
      copas.seterrorhandler((e) => errs.push((e as Error).message), true);
      copas.addthread(() => {
        throw new Error("plain failed");
      });
      // eslint-disable-next-line @typescript-eslint/require-await -- an async function's rejection is the case under test
      copas.addthread(async () => {
        throw new Error("async failed");
      });
      await copas.loop();
      expect(errs).to.deep.equal(["plain failed", "async failed"]);
    });
  });
});
