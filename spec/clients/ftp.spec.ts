import { expect } from "chai";
import net from "node:net";
import { Copas } from "copas";
import { run } from "../helpers/run.js";

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

function listen(srv: net.Server): Promise<number> {
  return new Promise((r) => srv.listen(0, "127.0.0.1", () => r((srv.address() as net.AddressInfo).port)));
}

/**
 * A small passive-mode FTP server on 127.0.0.1 holding `files`; keeps the control lines.
 * `needPass`: USER answers 331 and PASS is required.
 */
async function ftpServer(files: Record<string, string>, opts: { needPass?: boolean; greeting?: string[] } = {}) {
  const lines: string[] = [];
  const socks = new Set<net.Socket>();
  const track = (s: net.Socket) => {
    socks.add(s);
    s.on("close", () => socks.delete(s));
    s.on("error", () => {});
  };
  const ctrl = net.createServer((c) => {
    track(c);
    c.setEncoding("latin1");
    let dataConn: Promise<net.Socket> | null = null;
    const reply = (l: string) => c.write(l + "\r\n");
    for (const g of opts.greeting ?? ["220 ready"]) reply(g);
    let buf = "";
    const onData = async (d: string) => {
      buf += d;
      for (let i = buf.indexOf("\r\n"); i !== -1; i = buf.indexOf("\r\n")) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        lines.push(line);
        const [verb0, ...rest] = line.split(" ");
        const verb = verb0!.toLowerCase();
        const arg = rest.join(" ");
        switch (verb) {
          case "user":
            reply(opts.needPass ? "331 password please" : "230 welcome");
            break;
          case "pass":
            reply(arg === "secret" || arg === "anonymous@anonymous.org" ? "230 logged in" : "530 wrong password");
            break;
          case "type":
            reply("200 type set");
            break;
          case "epsv":
          case "pasv": {
            const data = net.createServer();
            const port = await listen(data);
            closers.push(() => data.close());
            dataConn = new Promise((r) =>
              data.once("connection", (s) => {
                track(s);
                data.close();
                r(s);
              }),
            );
            reply(verb === "epsv" ? `229 Entering Extended Passive Mode (|||${port}|)` : `227 Entering Passive Mode (127,0,0,1,${port >> 8},${port & 255})`);
            break;
          }
          case "retr": {
            if (!(arg in files)) {
              reply("550 no such file");
              break;
            }
            reply("150 sending");
            const s = await dataConn!;
            s.end(Buffer.from(files[arg]!, "latin1"), () => reply("226 done"));
            break;
          }
          case "stor": {
            reply("150 go ahead");
            const s = await dataConn!;
            let got = "";
            s.setEncoding("latin1");
            s.on("data", (x: string) => (got += x));
            s.on("end", () => {
              files[arg] = got;
              reply("226 stored");
            });
            break;
          }
          case "quit":
            c.end("221 bye\r\n");
            break;
          default:
            reply(verb === "noop" ? "200 noop ok" : "502 not implemented");
        }
      }
    };
    c.on("data", (d: string) => void onData(d));
  });
  const port = await listen(ctrl);
  closers.push(() => {
    socks.forEach((s) => s.destroy());
    ctrl.close();
  });
  return { port, lines, files };
}

async function inCopas<T>(body: (c: Copas) => Generator<unknown, T, unknown>): Promise<T> {
  const copas = new Copas();
  let out: T | undefined;
  await run(copas, function* () {
    out = yield* body(copas);
  });
  return out as T;
}

describe("ftp", () => {
  it("get(url): greets, logs in as anonymous, EPSV, RETR, QUIT → [contents, null]", async () => {
    const big = "abcdefghij".repeat(30000);
    const { port, lines } = await ftpServer({ "pub/file.txt": "hello ftp", big });
    const [small, large] = await inCopas(function* (c) {
      return [yield* c.ftp.get(`ftp://127.0.0.1:${port}/pub/file.txt`), yield* c.ftp.get(`ftp://127.0.0.1:${port}/big;type=i`)];
    });
    expect(small).to.deep.equal(["hello ftp", null]);
    expect(large).to.deep.equal([big, null]);
    // as LuaSocket 3.1: commands in upper case, EPSV
    expect(lines.slice(0, 4)).to.deep.equal(["USER ftp", "EPSV", "RETR pub/file.txt", "QUIT"]);
    expect(lines.slice(4)).to.deep.equal(["USER ftp", "TYPE i", "EPSV", "RETR big", "QUIT"]);
  });

  it("logs in with the url's user and password when the server asks (331)", async () => {
    const { port, lines } = await ftpServer({ f: "x" }, { needPass: true });
    const r = await inCopas((c) => c.ftp.get(`ftp://bob:secret@127.0.0.1:${port}/f`));
    expect(r).to.deep.equal(["x", null]);
    expect(lines.slice(0, 2)).to.deep.equal(["USER bob", "PASS secret"]);
    const bad = await inCopas((c) => c.ftp.get(`ftp://bob:nope@127.0.0.1:${port}/f`));
    expect(bad).to.deep.equal([null, "530 wrong password"]);
  });

  it("put(url, body) → [bytes sent, null]; put(params) from a source", async () => {
    const { port, files } = await ftpServer({});
    const [a, b] = await inCopas(function* (c) {
      const a = yield* c.ftp.put(`ftp://127.0.0.1:${port}/up/new.txt`, "uploaded \xff bytes");
      let n = 0;
      const b = yield* c.ftp.put({
        host: "127.0.0.1",
        port,
        path: "/second",
        type: "i",
        source: () => (n < 3 ? `part${n++};` : null),
      });
      return [a, b];
    });
    expect(a).to.deep.equal([16, null]);
    expect(b).to.deep.equal([18, null]);
    expect(files["up/new.txt"]).to.equal("uploaded \xff bytes");
    expect(files["second"]).to.equal("part0;part1;part2;");
  });

  it("get(params) into a sink → [1, null]; a missing file gives the server's reply", async () => {
    const { port } = await ftpServer({ doc: "into a sink" });
    const [r, text, missing] = await inCopas(function* (c) {
      const [sink, parts] = c.ltn12.sink.table();
      const r = yield* c.ftp.get({ url: `ftp://127.0.0.1:${port}/doc`, sink });
      const missing = yield* c.ftp.get(`ftp://127.0.0.1:${port}/nothing`);
      return [r, parts.join(""), missing];
    });
    expect(r).to.deep.equal([1, null]);
    expect(text).to.equal("into a sink");
    expect(missing).to.deep.equal([null, "550 no such file"]);
  });

  it("command: sends one command and checks its reply", async () => {
    const { port, lines } = await ftpServer({});
    const [ok, bad] = await inCopas(function* (c) {
      return [
        yield* c.ftp.command({ host: "127.0.0.1", port, command: "noop", check: "2.." }),
        yield* c.ftp.command({ host: "127.0.0.1", port, command: "site", argument: "x", check: [200, 250] }),
      ];
    });
    expect(ok).to.deep.equal([1, null]);
    expect(bad).to.deep.equal([null, "502 not implemented"]);
    expect(lines).to.include("NOOP");
    expect(lines).to.include("SITE x");
  });

  it("a multi-line greeting (1xx then 2xx); bad urls; connection refused; no command smuggled in a path", async () => {
    const { port } = await ftpServer({ f: "ok" }, { greeting: ["120-wait", "120 a moment", "220 ready"] });
    const srv = net.createServer();
    const dead = await listen(srv);
    await new Promise((r) => srv.close(r));
    const r = await inCopas(function* (c) {
      return [
        yield* c.ftp.get(`ftp://127.0.0.1:${port}/f`),
        yield* c.ftp.get("http://127.0.0.1/f"),
        yield* c.ftp.get("ftp:///f"),
        yield* c.ftp.get(`ftp://127.0.0.1:${port}/f;type=x`),
        yield* c.ftp.get(`ftp://127.0.0.1:${dead}/f`),
        yield* c.ftp.get(`ftp://127.0.0.1:${port}/f%0d%0adele%20f`),
      ];
    });
    expect(r).to.deep.equal([
      ["ok", null],
      [null, "wrong scheme 'http'"],
      [null, "missing hostname"],
      [null, "invalid type 'x'"],
      [null, "connection refused"],
      [null, "invalid command: CR or LF in it"],
    ]);
  });

  it("bad arguments are TypeErrors", () => {
    const c = new Copas();
    expect(() => c.ftp.get(5 as never)).to.throw(TypeError, /ftp\.get: bad argument 'params'/);
    expect(() => c.ftp.put({ source: "x" } as never)).to.throw(TypeError, /'params\.source'/);
    expect(() => c.ftp.put("ftp://h/x", 5 as never)).to.throw(TypeError, /ftp\.put: bad argument 'body'/);
    expect(() => c.ftp.command({ host: "h" })).to.throw(TypeError, /'params\.command'/);
  });
});
