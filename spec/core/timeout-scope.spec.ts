// What copas.timeout() bounds and what it does not (the README's Reliability section states
// these): it is one timer per thread whose callback runs on expiry; a socket op replaces it with
// the socket's own timeout and cancels it when done, and lock/semaphore/queue waits do the same
// with theirs. So sockets are bounded with settimeout, not with copas.timeout.

import { expect } from "chai";
import type { AnySocket } from "copas";
import { sim } from "../sim/helpers.js";
import { run } from "../helpers/run.js";

async function pairOn(s: ReturnType<typeof sim>): Promise<[AnySocket, AnySocket]> {
  const { copas, net } = s;
  const [server] = await net.socket.bind("srv", 1);
  const client = net.socket.tcp();
  let accepted: AnySocket | null = null;
  copas.addthread(function* () {
    yield* copas.connect(client, "srv", 1);
  });
  while (accepted === null) {
    await copas.step(0);
    const [a] = server!.accept();
    if (a !== null) accepted = a;
  }
  server!.close();
  return [client, accepted];
}

describe("copas.timeout(): what it bounds", () => {
  it("its callback runs on expiry; it ends nothing by itself (a pause goes on unless the callback wakes the thread)", async () => {
    const s = sim();
    const { copas } = s;
    const log: string[] = [];
    await run(copas, function* () {
      copas.timeout(1, () => log.push(`callback at ${copas.gettime()}`));
      const slept = yield* copas.pause(5);
      log.push(`pause ended after ${slept}`);
      copas.timeout(1, (t) => copas.wakeup(t));
      const slept2 = yield* copas.pauseforever();
      log.push(`pauseforever woken after ${slept2}`);
    });
    expect(log).to.deep.equal(["callback at 1", "pause ended after 5", "pauseforever woken after 1"]);
  });

  it("a socket op cancels it: a receive on a socket without settimeout waits past it; settimeout bounds the receive", async () => {
    const s = sim();
    const { copas } = s;
    const [client] = await pairOn(s);
    const log: unknown[] = [];
    copas.addthread(function* () {
      copas.timeout(1, () => log.push("callback"));
      const r = yield* copas.receive(client); // nothing ever comes; no socket timeout
      log.push(r);
    });
    for (let i = 0; i < 50; i++) await copas.step(0);
    s.clock.advance(10);
    for (let i = 0; i < 50; i++) await copas.step(0);
    expect(log, "the receive still waits at 10 s; the callback never ran").to.deep.equal([]);
    copas.settimeout(client, 2);
    copas.addthread(function* () {
      const t0 = copas.gettime();
      const r = yield* copas.receive(client);
      log.push(r, copas.gettime() - t0);
    });
    for (let i = 0; i < 20; i++) await copas.step(0);
    s.clock.advance(2);
    for (let i = 0; i < 20; i++) await copas.step(0);
    expect(log).to.deep.equal([[null, "timeout", ""], 2]);
    copas.cancelall();
  });

  it("a lock, semaphore or queue wait replaces it with its own timeout (and cancels it after)", async () => {
    const s = sim();
    const { copas } = s;
    const log: unknown[] = [];
    await run(copas, function* () {
      const sema = copas.semaphore.new(1, 0);
      copas.timeout(1, () => log.push("callback"));
      log.push(yield* sema.take(1, 3), copas.gettime());
      yield* copas.pause(5);
    });
    expect(log).to.deep.equal([[null, "timeout"], 3]);
  });
});
