// The explorer finding a real bug for you: a small request/response service, seeded faults,
// hundreds of seeds, and the one that breaks an invariant handed back with its trace and the
// command that replays it. Run it with `npx mocha examples/ledger-explore.spec.ts`.
//
// The service is a ledger on host "bank": "add <id> <amount>" adds the amount and answers
// "ok <id> <total>". Clients retry a request whose answer did not come (the connection was
// reset, or the answer was late): they reconnect and send the same request again. The planted
// bug is the classic one: the server applies a retried request a second time. It only shows
// when the reset lands after the server applied the request and before its answer arrived (a
// lost acknowledgement); a reset that cuts the request itself is hidden by the retry. So most
// seeds pass, and the explorer has to look.
//
// The fix is to remember the answer of each request id and give it again on a retry. The
// first test runs the buggy server and expects the explorer to find the failure within 300
// seeds, replay it bit for bit and shrink it to the fault that matters; the second is the test
// you would keep, on the fixed server: it passes on every seed. Put the bug back with
// `LEDGER_BUG=1 npx mocha examples/ledger-explore.spec.ts` to see the report it fails with.
import { expect } from "chai";
import type { Copas, AnySocket } from "copas";
import type { SimHost } from "copas/sim";
import { explore, exploreIt, type Scenario } from "copas/testing";

// ---- the code under test (in a real project: imported from your own module) -------------

interface Ledger {
  total: number;
  /** Answer given for each request id (the fix's memory). */
  answers: Map<string, number>;
  /** How many times each request id was applied (what the test watches). */
  applied: Map<string, number>;
}

/** The bank's start function: its state lives on its disk, its server on port 7000. */
export function bank(d: Copas, opts: { dedup: boolean }) {
  return function* (h: SimHost) {
    const ledger: Ledger = (h.disk.get("ledger") as Ledger | undefined) ?? { total: 0, answers: new Map(), applied: new Map() };
    h.disk.set("ledger", ledger);
    const [server, err] = yield* d.await(d.socket.bind(h.name, 7000));
    if (server === null) throw new Error(`bank: ${err}`);
    d.addserver(server, function* (skt: AnySocket) {
      for (;;) {
        const [line] = yield* d.receive(skt);
        if (line === null) return;
        const [cmd, id, amount] = line.split(" ");
        if (cmd !== "add" || id === undefined || !/^\d+$/.test(amount ?? "")) {
          yield* d.send(skt, "error\n");
          continue;
        }
        const known = ledger.answers.get(id);
        if (opts.dedup && known !== undefined) {
          yield* d.send(skt, `ok ${id} ${known}\n`); // a retry: the same answer, applied once
          continue;
        }
        ledger.total += Number(amount);
        ledger.applied.set(id, (ledger.applied.get(id) ?? 0) + 1);
        ledger.answers.set(id, ledger.total);
        yield* d.send(skt, `ok ${id} ${ledger.total}\n`);
      }
    });
  };
}

/** A client that sends `amounts` one by one, retrying each until it is acknowledged. */
export function* client(d: Copas, host: string, name: string, amounts: number[], acked: (n: number) => void) {
  let skt: ReturnType<Copas["wrap"]> | null = null;
  for (let k = 0; k < amounts.length; k++) {
    const id = `${name}-${k}`;
    for (let attempt = 1; ; attempt++) {
      if (attempt > 20) throw new Error(`${id}: no answer after 20 attempts`);
      if (skt === null) {
        const raw = d.socket.tcp();
        raw.bind(host, 0);
        skt = d.wrap(raw);
        skt.settimeout(1);
        const [ok] = yield* skt.connect("bank", 7000);
        if (ok === null) {
          skt.close();
          skt = null;
          yield* d.pause(0.1 * d.random(1, 5)); // jitter from the dispatcher: replayable
          continue;
        }
      }
      const [, sendErr] = yield* skt.send(`add ${id} ${amounts[k]}\n`);
      const [line] = sendErr === null ? yield* skt.receive() : [null];
      if (line !== null && line.startsWith(`ok ${id} `)) {
        acked(amounts[k]!);
        break;
      }
      skt.close(); // reset or late: start over on a new connection
      skt = null;
    }
  }
  skt?.close();
}

// ---- the tests -------------------------------------------------------------------------

const CLIENTS = 3;
const REQUESTS = 10;
/** Resets at 0.05 % of deliveries, and as often a latency spike over the clients' timeout. */
export const faults = { reset: 0.0005, spike: 0.0005, spikeLatency: [0.5, 1.5] as [number, number] };

/** The bank and its clients on one world; checks that no request is applied twice, ever. */
export function scenario(dedup: boolean): Scenario<Copas> {
  return (w) => {
    const d = w.copas;
    const host = w.net.host("bank", bank(d, { dedup }));
    let acked = 0;
    let done = 0;
    for (let c = 0; c < CLIENTS; c++) {
      const amounts = Array.from({ length: REQUESTS }, () => 1 + w.rng.int(100));
      d.addnamedthread(`client${c}`, function* () {
        yield* client(d, `10.0.0.${c + 1}`, `c${c}`, amounts, (n) => (acked += n));
        if (++done === CLIENTS) w.stop(); // the bank would serve forever
      });
    }
    const ledger = () => host.disk.get("ledger") as Ledger | undefined;
    return {
      // After every step: a request is applied at most once.
      invariant() {
        for (const [id, n] of ledger()?.applied ?? []) if (n > 1) throw new Error(`request ${id} was applied ${n} times`);
      },
      // At the end: every request was acknowledged, and the total is what was acknowledged.
      end() {
        expect(done, "clients done").to.equal(CLIENTS);
        expect(ledger()!.total, "the bank's total").to.equal(acked);
      },
    };
  };
}

describe("example: the explorer finds a lost acknowledgement", () => {
  it("finds the double-applied retry of the buggy bank within 300 seeds, and replays it exactly", async function () {
    const title = this.test!.fullTitle();
    const r = await explore({ seeds: 300, faults, title }, scenario(false));
    const f = r.failure;
    expect(f, "the explorer should find the bug").to.not.equal(null);
    console.log(`      (found after ${r.runs} seeds)\n` + f!.report.replace(/^/gm, "      "));
    expect(f!.message).to.match(/invariant failed: request c\d-\d+ was applied 2 times/);
    expect(f!.replayed).to.equal(true);
    expect(f!.replay).to.equal(`SEED=${f!.seed} npm test -- -g '${title}'`);
    expect(f!.tail).to.deep.equal(f!.trace.slice(-30));

    // Bit for bit: the seed alone gives the same run, trace line for trace line.
    const again = await explore({ seeds: [f!.seed], faults, shrink: false }, scenario(false));
    expect(again.failure!.trace).to.deep.equal(f!.trace);
    expect(again.failure!.time).to.equal(f!.time);

    // Shrunk: one fault (a reset of an answer, or a spike past the client's timeout) is all it
    // takes; that replays too.
    expect(f!.keep).to.have.length(1);
    const shrunk = await explore({ seeds: [f!.seed], faults, keep: f!.keep, shrink: false }, scenario(false));
    expect(shrunk.failure!.message).to.match(/was applied 2 times/);
    expect(shrunk.failure!.trace.filter((l) => / fault /.test(l))).to.have.length(1);
  });

  // The test you keep: on the fixed bank it passes on every seed.
  const bug = process.env.LEDGER_BUG === "1";
  exploreIt(
    "the bank applies each request exactly once, whatever the faults",
    { seeds: 300, faults, ...(bug ? { replayEnv: { LEDGER_BUG: "1" } } : {}) },
    scenario(!bug),
  );
});
