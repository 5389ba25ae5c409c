// The quick part of the differential tier (test/oracle): a few deterministic scenarios run on
// Lua Copas 4.11 and on the port, compared line by line (the whole tier: npm run test:oracle).
// Skipped, with one line saying so, where lua5.4 or LuaSocket is not installed.

import { expect } from "chai";
import { compare, Oracle, oracleMissing, report } from "../../test/oracle/harness.js";
import { SCENARIOS } from "../../test/oracle/scenarios.js";
import { number, type Scenario } from "../../test/oracle/scenario.js";

/** Scenarios that agree with Copas today, one per area; each also guards a fixed difference. */
const QUICK = [
  "socket/number-pattern",
  "socket/send-indexes",
  "dispatcher/addthread-order",
  "dispatcher/names",
  "lock/basics",
  "queue/workers-and-finish", // issue 9, item 9
  "errors/module-asserts", // item 12
  "smtp/send", // item 14
  "http/chunked-trailers", // item 14
  "ftp/table-form",
];

describe("oracle (quick): Lua Copas 4.11 and the port agree", function () {
  this.timeout(60_000);
  const missing = oracleMissing();
  let oracle: Oracle | null = null;

  before(async function () {
    if (missing) {
      console.log(`oracle: skipped, ${missing}`);
      this.skip();
    }
    oracle = new Oracle({ inProcess: true }); // the port's driver runs here: no process to start
    await oracle.start();
  });

  after(async () => {
    await oracle?.stop();
  });

  it(`runs ${QUICK.length} scenarios with no unexplained difference`, async () => {
    const chosen = QUICK.map((name) => {
      const s = SCENARIOS.find((x) => x.name === name);
      if (!s) throw new Error(`no scenario ${name}`);
      return structuredClone(s);
    });
    const failures: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < chosen.length) {
        const o = await oracle!.run(chosen[next++]!);
        if (!o.ok) failures.push(report(o));
      }
    };
    await Promise.all([worker(), worker()]);
    expect(failures, failures.join("\n\n")).to.deep.equal([]);
  });
});

describe("oracle: the comparison", () => {
  const scenario = (): Scenario =>
    number({
      name: "t",
      steps: [
        { op: "call", fn: "semaphore.new", args: [0] },
        { op: "receive", pattern: "*a" },
        { op: "log", msg: "x" },
      ],
    });
  const run = (lines: string[]) => ({ lines, problem: "" });

  it("explains a TypeError that contains Copas's text, and nothing else", () => {
    const lua = run(["1 error: expected max resources (1st argument) to be a number greater than 0, got: 0", "2 [\"a\"]", "3 x", "END"]);
    const port = run(["1 error: TypeError: semaphore.new: bad argument 'max' (...) [Copas: expected max resources (1st argument) to be a number greater than 0, got: 0]", "2 [\"a\"]", "3 x", "END"]);
    const o = compare(scenario(), lua, port);
    expect(o.ok).to.equal(true);
    expect(o.hunks.map((h) => h.known)).to.deep.equal([["typeerror-text"]]);
    const other = compare(scenario(), lua, run(["1 error: TypeError: something else", "2 [\"a\"]", "3 x", "END"]));
    expect(other.ok).to.equal(false);
  });

  it("explains *a succeeding where Copas saw the close in a later try, not other receive results", () => {
    const lua = run(["1 [nil]", "2 [nil, \"closed\", \"abc\"]", "3 x", "END"]);
    expect(compare(scenario(), lua, run(["1 [nil]", "2 [\"abc\"]", "3 x", "END"])).ok).to.equal(true);
    expect(compare(scenario(), lua, run(["1 [nil]", "2 [\"ab\"]", "3 x", "END"])).ok).to.equal(false);
  });

  it("reports a missing line, a moved line and a run's problem", () => {
    const lua = run(["1 [nil]", "2 [\"a\"]", "3 x", "END"]);
    expect(compare(scenario(), lua, run(["1 [nil]", "3 x", "END"])).ok).to.equal(false);
    expect(compare(scenario(), lua, run(["1 [nil]", "3 x", "2 [\"a\"]", "END"])).ok).to.equal(false);
    expect(compare(scenario(), lua, { lines: lua.lines, problem: "TIMEOUT" }).ok).to.equal(false);
  });
});
