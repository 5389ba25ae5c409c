// Bounded lines in the clients (issue 10, item 3): a malicious server's endless status, header,
// chunk-size, trailer or reply line, or endless "100 Continue" responses, end the request with
// `[null, err]` once past the bound, checked while the line grows (the client stops reading and
// closes, so the server cannot push more than the bound and a buffer or two), never a RangeError
// or a wait for the whole line.

import { expect } from "chai";
import type { Copas, CopasSocket } from "copas";
import { sim } from "../sim/helpers.js";
import { run } from "../helpers/run.js";

/** Most bytes the evil server offers (the test ends well before, or fails). */
const CAP = 4 * 1024 * 1024;

interface Evil {
  /** Bytes the server got into the connection before the client closed it. */
  sent: number;
}

/**
 * A server on sim host `host`:`port` that reads the request head (HTTP) or nothing, sends
 * `prefix`, then `fill` over and over, until CAP bytes or the client is gone.
 */
async function evil(copas: Copas, net: ReturnType<typeof sim>["net"], host: string, port: number, prefix: string, fill: string, readHead = true): Promise<Evil> {
  const [server, err] = await net.socket.bind(host, port);
  if (server === null) throw new Error(err);
  const out: Evil = { sent: 0 };
  copas.addserver(
    server,
    copas.handler(function* (skt: CopasSocket) {
      // A send timeout: a SimStream closed while paused (its unread buffer full) does not reset
      // the sender, which would wait forever (reported to the sim's owner).
      skt.settimeout(30);
      for (;;) {
        if (!readHead) break;
        const [l] = yield* skt.receive();
        if (l === null || l === "") break;
      }
      const [ok] = yield* skt.send(prefix);
      if (ok === null) return;
      const block = fill.repeat(Math.ceil(16384 / fill.length));
      while (out.sent < CAP) {
        const [n] = yield* skt.send(block);
        if (n === null) return;
        out.sent += block.length;
      }
      yield* copas.pause(3600); // then stall, holding the connection
    }),
  );
  copas.addthread(function* () {
    yield* copas.pause(7200);
    copas.removeserver(server);
  });
  return out;
}

async function request(copas: Copas, url: string, setup?: (c: Copas) => void): Promise<unknown> {
  let r: unknown;
  setup?.(copas);
  await run(copas, function* () {
    r = yield* copas.http.request(url);
    copas.exit();
  });
  return r;
}

describe("http: bounded lines from a malicious server", () => {
  const cases: [string, string, string, string][] = [
    ["status line", "HTTP/1.1 200 ", "a", "status line too long (over 65536 bytes; http.MAXLINE)"],
    ["header line", "HTTP/1.1 200 OK\r\nX-A: ", "a", "header line too long (over 65536 bytes; http.MAXLINE)"],
    ["chunk-size line", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=", "a", "chunk-size line too long (over 65536 bytes; http.MAXLINE)"],
    ["trailer line", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nX-T: ", "a", "trailer line too long (over 65536 bytes; http.MAXLINE)"],
    ["folded header line", "HTTP/1.1 200 OK\r\nX-A: 1\r\n ", "a", "header line too long (over 65536 bytes; http.MAXLINE)"],
  ];
  for (const [what, prefix, fill, err] of cases) {
    it(`an endless ${what}: [null, "${err}"], the client closing early`, async () => {
      const { copas, net } = sim();
      const e = await evil(copas, net, "evil", 80, prefix, fill);
      expect(await request(copas, "http://evil/")).to.deep.equal([null, err]);
      expect(e.sent).to.be.below(1024 * 1024);
    });
  }

  it('endless "100 Continue" responses: [null, "too many interim responses ..."] after http.MAXINTERIM', async () => {
    const { copas, net } = sim();
    const e = await evil(copas, net, "evil", 80, "", "HTTP/1.1 100 Continue\r\n\r\n");
    expect(copas.http.MAXINTERIM).to.equal(10);
    expect(await request(copas, "http://evil/")).to.deep.equal([null, "too many interim responses (over 10 '100 Continue'; http.MAXINTERIM)"]);
    expect(e.sent).to.be.below(1024 * 1024);
  });

  it("a few 100 Continue, then the response: fine (up to MAXINTERIM of them)", async () => {
    const { copas, net } = sim();
    const [server] = await net.socket.bind("ok", 80);
    copas.addserver(
      server!,
      copas.handler(function* (skt: CopasSocket) {
        for (;;) {
          const [l] = yield* skt.receive();
          if (l === null || l === "") break;
        }
        yield* skt.send("HTTP/1.1 100 Continue\r\n\r\n".repeat(10) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
      }),
    );
    let r: unknown;
    await run(copas, function* () {
      r = yield* copas.http.request("http://ok/");
      copas.removeserver(server!);
    });
    expect(r).to.deep.equal(["hi", 200, { "content-length": "2" }, "HTTP/1.1 200 OK"]);
  });

  it("http.MAXLINE is exact: a line of MAXLINE bytes passes, one more fails; lines in 7-byte deliveries assemble right", async () => {
    const run1 = async (n: number) => {
      const { copas, net } = sim({ chunkSize: 7 });
      copas.http.MAXLINE = 40;
      const [server] = await net.socket.bind("h", 80);
      copas.addserver(
        server!,
        copas.handler(function* (skt: CopasSocket) {
          for (;;) {
            const [l] = yield* skt.receive();
            if (l === null || l === "") break;
          }
          const name = "X-Long: ";
          yield* skt.send(`HTTP/1.1 200 OK\r\n${name}${"v".repeat(n - name.length)}\r\nContent-Length: 0\r\n\r\n`);
        }),
      );
      let r: unknown;
      await run(copas, function* () {
        r = yield* copas.http.request("http://h/");
        copas.removeserver(server!);
      });
      return r;
    };
    expect(await run1(40)).to.deep.equal(["", 200, { "x-long": "v".repeat(32), "content-length": "0" }, "HTTP/1.1 200 OK"]);
    expect(await run1(41)).to.deep.equal([null, "header line too long (over 40 bytes; http.MAXLINE)"]);
  });

  it("the bounds are settings checked at the call: TypeErrors naming them", () => {
    const { copas } = sim();
    for (const [k, v] of [
      ["MAXLINE", NaN],
      ["MAXLINE", 0],
      ["MAXLINE", Infinity],
      ["MAXHEADERSIZE", -1],
      ["MAXINTERIM", 1.5],
      ["TIMEOUT", NaN],
    ] as const) {
      const saved = copas.http[k];
      (copas.http as unknown as Record<string, unknown>)[k] = v;
      expect(() => copas.http.request("http://x/"), `${k}=${v}`).to.throw(TypeError, new RegExp(`'http\\.${k}'`));
      (copas.http as unknown as Record<string, unknown>)[k] = saved;
    }
  });
});

describe("smtp and ftp: bounded reply lines", () => {
  it("smtp: an endless greeting line: [null, 'reply line too long ...']", async () => {
    const { copas, net } = sim();
    const e = await evil(copas, net, "mx", 25, "220 ", "a", false);
    let r: unknown;
    await run(copas, function* () {
      r = yield* copas.smtp.send({ from: "<a@b>", rcpt: "<c@d>", server: "mx" });
      copas.exit();
    });
    expect(r).to.deep.equal([null, "reply line too long (over 65536 bytes; smtp.MAXLINE)"]);
    expect(e.sent).to.be.below(1024 * 1024);
  });

  it("smtp: an endless multi-line reply of short lines: [null, 'reply too long ...']", async () => {
    const { copas, net } = sim();
    const e = await evil(copas, net, "mx", 25, "", `220-${"x".repeat(200)}\r\n`, false);
    let r: unknown;
    await run(copas, function* () {
      r = yield* copas.smtp.send({ from: "<a@b>", rcpt: "<c@d>", server: "mx" });
      copas.exit();
    });
    expect(r).to.deep.equal([null, "reply too long (over 1048576 bytes; smtp.MAXREPLYSIZE)"]);
    expect(e.sent).to.be.below(2 * 1024 * 1024);
  });

  it("ftp: an endless greeting line: [null, 'reply line too long ...']", async () => {
    const { copas, net } = sim();
    const e = await evil(copas, net, "ftp", 21, "220 ", "a", false);
    let r: unknown;
    await run(copas, function* () {
      r = yield* copas.ftp.get("ftp://ftp/x");
      copas.exit();
    });
    expect(r).to.deep.equal([null, "reply line too long (over 65536 bytes; ftp.MAXLINE)"]);
    expect(e.sent).to.be.below(1024 * 1024);
  });
});

describe("the string forms' bodies are bounded (no RangeError joining a huge body)", () => {
  async function httpBody(max: number, size: number, withSink = false): Promise<unknown> {
    const { copas, net } = sim();
    copas.http.MAXBODYSIZE = max;
    const [server] = await net.socket.bind("h", 80);
    copas.addserver(
      server!,
      copas.handler(function* (skt: CopasSocket) {
        for (;;) {
          const [l] = yield* skt.receive();
          if (l === null || l === "") break;
        }
        yield* skt.send(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n${"b".repeat(size)}`);
      }),
    );
    let r: unknown;
    await run(copas, function* () {
      if (withSink) {
        let n = 0;
        const res = yield* copas.http.request({ url: "http://h/", sink: (c) => ((n += c === null ? 0 : c.length), 1) });
        r = [res[0], n];
      } else r = yield* copas.http.request("http://h/");
      copas.removeserver(server!);
    });
    return r;
  }

  it("http.request(url): past http.MAXBODYSIZE [null, 'body too large ...']; a sink streams past it", async () => {
    expect(new (await import("copas")).Copas().http.MAXBODYSIZE).to.equal(64 * 1024 * 1024);
    expect(((await httpBody(10, 10)) as unknown[])[0]).to.equal("bbbbbbbbbb");
    expect(await httpBody(10, 11)).to.deep.equal([null, "body too large (over 10 bytes; http.MAXBODYSIZE)"]);
    expect(await httpBody(10, 100000, true)).to.deep.equal([1, 100000]);
  });

  it("ftp.get(url): past ftp.MAXBODYSIZE [null, 'body too large ...']", async () => {
    const { copas, net } = sim();
    copas.ftp.MAXBODYSIZE = 100;
    const [server] = await net.socket.bind("ftp", 21);
    const [data] = await net.socket.bind("ftp", 20); // EPSV: the data port on the control connection's host
    copas.addserver(
      data!,
      copas.handler(function* (skt: CopasSocket) {
        yield* skt.send("z".repeat(5000));
      }),
    );
    copas.addserver(
      server!,
      copas.handler(function* (skt: CopasSocket) {
        yield* skt.send("220 hi\r\n");
        for (;;) {
          const [l] = yield* skt.receive();
          if (l === null) return;
          yield* skt.send(l.startsWith("USER") ? "230 in\r\n" : l.startsWith("EPSV") ? "229 (|||20|)\r\n" : l.startsWith("RETR") ? "150 go\r\n" : "221 bye\r\n");
        }
      }),
    );
    let r: unknown;
    await run(copas, function* () {
      r = yield* copas.ftp.get("ftp://ftp/f");
      copas.removeserver(server!);
      copas.removeserver(data!);
    });
    expect(r).to.deep.equal([null, "body too large (over 100 bytes; ftp.MAXBODYSIZE)"]);
  });
});

describe("a line as a whole stays bounded by the receive timeout", () => {
  it("http: a header line trickled a byte every 10 s gives 'timeout' within twice the timeout (not one wait per byte)", async () => {
    const { copas, net } = sim();
    const [server] = await net.socket.bind("slow", 80);
    copas.addserver(
      server!,
      copas.handler(function* (skt: CopasSocket) {
        for (;;) {
          const [l] = yield* skt.receive();
          if (l === null || l === "") break;
        }
        yield* skt.send("HTTP/1.1 200 OK\r\nX-A: ");
        for (let i = 0; i < 100; i++) {
          yield* copas.pause(10);
          const [ok] = yield* skt.send("a");
          if (ok === null) return;
        }
      }),
    );
    let r: unknown;
    let took = 0;
    await run(copas, function* () {
      const t0 = copas.gettime();
      r = yield* copas.http.request({ url: "http://slow/", timeout: 30 });
      took = copas.gettime() - t0;
      copas.removeserver(server!);
    });
    expect(r).to.deep.equal([null, "timeout"]);
    expect(took).to.be.within(30, 60);
  });

  it("smtp: a greeting trickled a byte every 10 s gives 'timeout' within twice smtp.TIMEOUT", async () => {
    const { copas, net } = sim();
    copas.smtp.TIMEOUT = 30;
    const [server] = await net.socket.bind("mx", 25);
    copas.addserver(
      server!,
      copas.handler(function* (skt: CopasSocket) {
        for (let i = 0; i < 100; i++) {
          const [ok] = yield* skt.send(i === 0 ? "220 " : "a");
          if (ok === null) return;
          yield* copas.pause(10);
        }
      }),
    );
    let r: unknown;
    let took = 0;
    await run(copas, function* () {
      const t0 = copas.gettime();
      r = yield* copas.smtp.send({ from: "<a@b>", rcpt: "<c@d>", server: "mx" });
      took = copas.gettime() - t0;
      copas.removeserver(server!);
    });
    expect(r).to.deep.equal([null, "timeout"]);
    expect(took).to.be.within(30, 60);
  });
});
