// FTP command injection (issue 10, item 7, "check"): every string that goes onto a command line
// is refused when it holds CR, LF or NUL: a TypeError at the call for arguments, a result tuple
// for what comes percent-decoded out of a URL (the command is never sent).

import { expect } from "chai";
import { Copas, type CopasSocket } from "copas";
import { ManualClock, SimNetwork } from "copas/sim";
import { run } from "../helpers/run.js";

describe("ftp: command injection", () => {
  const c = new Copas();

  it("params with CR, LF or NUL are TypeErrors naming them", () => {
    for (const k of ["url", "host", "path", "argument", "command", "type", "user", "password"]) {
      for (const bad of ["x\r\ndele y", "x\ny", "x\0"]) {
        const p = { host: "h", command: "noop", [k]: k === "url" ? `ftp://h/${bad}` : bad };
        expect(() => c.ftp.command(p), `${k} ${JSON.stringify(bad)}`).to.throw(TypeError, new RegExp(`ftp\\.command: bad argument 'params\\.${k}'`));
        expect(() => c.ftp.get(p), `${k} ${JSON.stringify(bad)}`).to.throw(TypeError, new RegExp(`ftp\\.get: bad argument 'params\\.${k}'`));
      }
    }
  });

  it("a url string with CR, LF or NUL is a TypeError; a bad port one too", () => {
    expect(() => c.ftp.get("ftp://h/a\r\ndele b")).to.throw(TypeError, /ftp\.get: bad argument 'url'/);
    expect(() => c.ftp.put("ftp://h/a\0", "x")).to.throw(TypeError, /ftp\.put: bad argument 'url'/);
    expect(() => c.ftp.get({ host: "h", port: -1 })).to.throw(TypeError, /'params\.port'/);
    expect(() => c.ftp.get({ host: "h", port: 1.5 })).to.throw(TypeError, /'params\.port'/);
  });

  it("%00 in a url's path is refused before it is sent, as %0d%0a is", async () => {
    const clock = new ManualClock();
    clock.autoAdvance = true;
    const net = new SimNetwork({ clock });
    const d = new Copas({ network: net });
    const [server] = await net.socket.bind("ftp", 21);
    const [data] = await net.socket.bind("ftp", 20); // EPSV: the data port on the control connection's host
    d.addserver(data!, function* () {});
    const lines: string[] = [];
    d.addserver(
      server!,
      d.handler(function* (skt: CopasSocket) {
        yield* skt.send("220 hi\r\n");
        for (;;) {
          const [l] = yield* skt.receive();
          if (l === null) return;
          lines.push(l);
          yield* skt.send(l.startsWith("USER") ? "230 in\r\n" : l.startsWith("EPSV") ? "229 (|||20|)\r\n" : "221 bye\r\n");
        }
      }),
    );
    let r: unknown;
    await run(d, function* () {
      r = yield* d.ftp.get("ftp://ftp/a%00b");
      d.removeserver(server!);
      d.removeserver(data!);
    });
    expect(r).to.deep.equal([null, "invalid command: NUL in it"]);
    expect(lines.join("|")).to.not.include("RETR");
  });
});

describe("ftp: other arguments", () => {
  it("params.check must be a code pattern or a list of them", () => {
    const c = new Copas();
    expect(() => c.ftp.command({ host: "h", command: "noop", check: {} as never })).to.throw(TypeError, /'params\.check'/);
    expect(() => c.ftp.command({ host: "h", command: "noop", check: [NaN] })).to.throw(TypeError, /'params\.check'/);
    expect(() => c.ftp.command({ host: "h", command: "noop", check: ["2..", 250] })).to.not.throw();
  });
});
