import { expect } from "chai";
import { Copas } from "copas";
import { pair } from "../helpers/net.js";

describe("dispatcher: readiness is looked at every step (issue 9, item 8)", () => {
  it("serves a reader whose line has arrived in the next steps, however long another thread spins on pause(0)", async () => {
    const copas = new Copas();
    const [client, accepted] = await pair(copas);
    let rounds = 0;
    let servedAt = -1;
    let got: unknown = null;
    let sent: unknown = null;
    copas.addthread(function* () {
      [got] = yield* copas.receive(accepted);
      servedAt = rounds;
    });
    copas.addthread(function* () {
      yield* copas.pause(0); // the reader is waiting on its socket now
      // A loopback write is in the peer's socket buffer when send returns.
      [sent] = yield* copas.send(client, "hello\n");
      while (servedAt < 0 && rounds < 1000) {
        yield* copas.pause(0);
        rounds++;
      }
    });
    await copas.loop();
    client.close();
    accepted.close();
    // Asserted here, not inside the threads (a throw there goes to the error handler, not mocha).
    expect(sent).to.equal(6);
    expect(got).to.equal("hello");
    // Copas serves it in the next step; the port used to take 63-64 rounds (I/O looked at
    // every 64 steps). One step of slack: the spinner may run once before the poll.
    expect(servedAt).to.be.within(0, 2);
  });
});
