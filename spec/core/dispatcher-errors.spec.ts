import { expect } from "chai";
import sinon from "sinon";
import { Copas } from "copas";

function stubStderr(): sinon.SinonStub {
  return sinon.stub(process.stderr, "write").returns(true);
}

function written(stub: sinon.SinonStub): string {
  return stub.getCalls().map((c) => String(c.args[0])).join("");
}

describe("dispatcher: the error-handler path survives anything (issue 10, items 5 and 8)", () => {
  afterEach(() => sinon.restore());

  it("an async error handler that rejects is reported, with no unhandled rejection, and the loop goes on", async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on("unhandledRejection", onUnhandled);
    try {
      const copas = new Copas();
      const err = stubStderr();
      copas.seterrorhandler(async () => {
        await Promise.resolve();
        throw new Error("handler broke");
      }, true);
      const after: string[] = [];
      copas.addthread(function* () {
        throw new Error("first");
      });
      copas.addthread(function* () {
        yield* copas.pause(0.01);
        after.push("still running");
      });
      await copas.loop();
      await new Promise((r) => setImmediate(r));
      sinon.restore();
      expect(after).to.deep.equal(["still running"]);
      expect(written(err)).to.contain("Failed executing error handler: handler broke");
      expect(unhandled).to.deep.equal([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });

  it("reports a thrown value without a prototype through the default handler", async () => {
    const copas = new Copas();
    const err = stubStderr();
    copas.addnamedthread("odd", function* () {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- a value without a prototype is the case under test
      throw Object.create(null) as object;
    });
    await copas.loop();
    sinon.restore();
    const out = written(err);
    expect(out).to.contain("(coroutine: odd, socket: nil)");
    expect(out).to.not.contain("Failed executing error handler");
  });

  it("gettraceback takes any value", () => {
    const copas = new Copas();
    const weird = { toString() { throw new Error("no"); } };
    expect(copas.gettraceback(Object.create(null))).to.match(/^\[object Object\] \(coroutine: nil, socket: nil\)/);
    expect(copas.gettraceback(weird)).to.match(/\(coroutine: nil, socket: nil\)/);
  });
});
