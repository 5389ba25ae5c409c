// ManualClock._hold/_release: a network whose work runs on Node's event loop (node:tls over a
// simulated connection) holds the clock, and an idle dispatcher's clock does not jump meanwhile.

import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Copas } from "copas";
import { ManualClock, SimNetwork } from "copas/sim";

const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
};

describe("sim: ManualClock held by real work in flight", () => {
  it("does not jump while held (due timers still fire); the last release lets it go on", async () => {
    const clock = new ManualClock();
    clock.autoAdvance = true;
    const copas = new Copas({ network: new SimNetwork({ clock }) });
    const got: unknown[] = [];
    copas.addthread(function* () {
      yield* copas.pause(0);
      got.push(["yielded", clock.now()]);
      yield* copas.pause(10);
      got.push(["slept", clock.now()]);
    });
    clock._hold();
    clock._hold();
    let done = false;
    const loop = copas.loop().then(() => (done = true));
    await turns(20);
    expect([got, clock.now(), done]).to.deep.equal([[["yielded", 0]], 0, false]);
    clock._release();
    await turns(20);
    expect([clock.now(), done]).to.deep.equal([0, false]);
    clock._release();
    await loop;
    expect(got).to.deep.equal([["yielded", 0], ["slept", 10]]);
    expect(() => clock._release()).to.throw(Error, /not held/);
  });

  it('"copas/sim" loads no node:tls when imported (the TLS engine is imported on first use)', function () {
    this.timeout(60_000);
    const root = fileURLToPath(new URL("../..", import.meta.url));
    const out = execFileSync(
      process.execPath,
      [
        "--conditions=copas-source",
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `await import("copas/sim");
         console.log(JSON.stringify(process.moduleLoadList.filter((m) => /^NativeModule (tls|_tls_wrap)$/.test(m))));`,
      ],
      { cwd: root, encoding: "utf8" },
    );
    expect(JSON.parse(out.trim())).to.deep.equal([]);
  });
});
