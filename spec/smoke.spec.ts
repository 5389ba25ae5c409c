import { expect } from "chai";
import { Copas, socket } from "copas";

describe("smoke", () => {
  it("echoes over real TCP", async () => {
    const copas = new Copas();
    const [server] = await socket.bind("127.0.0.1", 0);
    const [, port] = server!.getsockname() as [string, number, string];
    copas.addserver(server!, function* (skt) {
      for (;;) {
        const [line] = yield* copas.receive(skt);
        if (line === null || line === "quit") break;
        yield* copas.send(skt, line + "\n");
      }
    });
    const got: unknown[] = [];
    copas.addthread(function* () {
      const c = copas.wrap(socket.tcp());
      const r = yield* c.connect("127.0.0.1", port);
      got.push(r);
      yield* c.send("hello\n");
      got.push(yield* c.receive());
      yield* c.send("quit\n");
      got.push(yield* c.receive());
      c.close();
      copas.removeserver(server!);
    });
    await copas.loop();
    expect(got).to.deep.equal([[1, null], ["hello", null, null], [null, "closed", ""]]);
  });
});
