import { expect } from "chai";
import net from "node:net";
import { Copas, type SmtpMail } from "copas";
import { ManualClock } from "copas/sim";
import { run } from "../helpers/run.js";

interface Session {
  lines: string[];
  data: string[];
}

const servers: net.Server[] = [];
const conns = new Set<net.Socket>();
afterEach(() => {
  for (const c of conns) c.destroy();
  conns.clear();
  for (const s of servers.splice(0)) s.close();
});

/**
 * A small SMTP server on 127.0.0.1: answers each command (`replies` overrides by verb), keeps
 * what it was told. `ext`: the EHLO extension lines.
 */
async function smtpServer(opts: { ext?: string[]; replies?: Record<string, string>; greeting?: string } = {}): Promise<{ port: number; sessions: Session[] }> {
  const sessions: Session[] = [];
  const srv = net.createServer((skt) => {
    conns.add(skt);
    skt.on("close", () => conns.delete(skt));
    const s: Session = { lines: [], data: [] };
    sessions.push(s);
    skt.setEncoding("latin1");
    skt.write((opts.greeting ?? "220 test ESMTP") + "\r\n");
    let buf = "";
    let inData = false;
    skt.on("data", (d: string) => {
      buf += d;
      for (;;) {
        if (inData) {
          const end = buf.indexOf("\r\n.\r\n");
          if (end === -1) return;
          s.data.push(buf.slice(0, end));
          buf = buf.slice(end + 5);
          inData = false;
          skt.write("250 queued\r\n");
          continue;
        }
        const i = buf.indexOf("\r\n");
        if (i === -1) return;
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        s.lines.push(line);
        const verb = line.split(" ")[0]!.toUpperCase();
        const custom = opts.replies?.[verb];
        if (custom !== undefined) skt.write(custom + "\r\n");
        else if (verb === "EHLO") {
          const ext = opts.ext ?? [];
          skt.write(["test", ...ext].map((e, k, a) => `250${k === a.length - 1 ? " " : "-"}${e}`).join("\r\n") + "\r\n");
        } else if (verb === "AUTH" && line === "AUTH LOGIN") skt.write("334 VXNlcm5hbWU6\r\n");
        else if (verb === "AUTH") skt.write("235 ok\r\n");
        else if (verb === "DATA") {
          skt.write("354 go ahead\r\n");
          inData = true;
        } else if (verb === "QUIT") skt.end("221 bye\r\n");
        else if (s.lines.at(-2) === "AUTH LOGIN") skt.write("334 UGFzc3dvcmQ6\r\n");
        else skt.write("250 ok\r\n");
      }
    });
  });
  servers.push(srv);
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { port: (srv.address() as net.AddressInfo).port, sessions };
}

async function sendMail(mail: Omit<SmtpMail, "source"> & { body?: string }, copas = new Copas()) {
  let out: unknown;
  await run(copas, function* () {
    const source = copas.smtp.message({ headers: { To: "<you@example.com>", Subject: "hi" }, body: mail.body ?? "Hello." });
    out = yield* copas.smtp.send({ ...mail, source });
  });
  return out;
}

describe("smtp", () => {
  it("sends a mail: greeting, EHLO, MAIL FROM, RCPT TO each, DATA (dot-stuffed), QUIT", async () => {
    const { port, sessions } = await smtpServer();
    const r = await sendMail({
      from: "<me@example.com>",
      rcpt: ["<you@example.com>", "<them@example.com>"],
      server: "127.0.0.1",
      port,
      domain: "client.test",
      body: "line one\r\n.starts with a dot\r\n..two\r\nend",
    });
    expect(r).to.deep.equal([1, null]);
    const s = sessions[0]!;
    expect(s.lines).to.deep.equal([
      "EHLO client.test",
      "MAIL FROM:<me@example.com>",
      "RCPT TO:<you@example.com>",
      "RCPT TO:<them@example.com>",
      "DATA",
      "QUIT",
    ]);
    const [head, body] = s.data[0]!.split("\r\n\r\n");
    expect(body).to.equal("line one\r\n..starts with a dot\r\n...two\r\nend");
    const headers = Object.fromEntries(head!.split("\r\n").map((l) => l.split(": ") as [string, string]));
    // header names as LuaSocket writes them (issue 9, item 14)
    expect(headers).to.include({ To: "<you@example.com>", Subject: "hi", "MIME-Version": "1.0", "Content-Type": 'text/plain; charset="iso-8859-1"' });
    expect(headers["X-Mailer"]).to.equal(new Copas().smtp.USERAGENT);
  });

  it("dates the message by the dispatcher's clock", () => {
    const copas = new Copas({ clock: new ManualClock(0) });
    const src = copas.smtp.message({ body: "x" });
    const head = src() as string;
    expect(head).to.include("Date: Thu, 01 Jan 1970 00:00:00 -0000\r\n");
  });

  it("authenticates with LOGIN or PLAIN, whichever the server offers", async () => {
    const login = await smtpServer({ ext: ["AUTH LOGIN"] });
    const plain = await smtpServer({ ext: ["AUTH PLAIN"] });
    const none = await smtpServer();
    const base = { from: "<a@b>", rcpt: "<c@d>", server: "127.0.0.1", user: "usr", password: "pw" };
    expect(await sendMail({ ...base, port: login.port })).to.deep.equal([1, null]);
    expect(login.sessions[0]!.lines.slice(1, 4)).to.deep.equal(["AUTH LOGIN", "dXNy", "cHc="]);
    expect(await sendMail({ ...base, port: plain.port })).to.deep.equal([1, null]);
    expect(plain.sessions[0]!.lines[1]).to.equal("AUTH PLAIN " + Buffer.from("\0usr\0pw").toString("base64"));
    expect(await sendMail({ ...base, port: none.port })).to.deep.equal([null, "authentication not supported"]);
  });

  it("a refused command gives [null, the server's reply]; multi-line replies are joined", async () => {
    const { port } = await smtpServer({ replies: { RCPT: "550-no such user\r\n550 really" } });
    const r = await sendMail({ from: "<a@b>", rcpt: "<nobody@x>", server: "127.0.0.1", port });
    expect(r).to.deep.equal([null, "550-no such user\n550 really"]);
  });

  it("a greeting that is not 2xx, a reply that is not a reply, connection refused", async () => {
    const busy = await smtpServer({ greeting: "554 go away" });
    const junk = await smtpServer({ greeting: "hello?" });
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const cport = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const m = { from: "<a@b>", rcpt: "<c@d>", server: "127.0.0.1" };
    expect(await sendMail({ ...m, port: busy.port })).to.deep.equal([null, "554 go away"]);
    expect(await sendMail({ ...m, port: junk.port })).to.deep.equal([null, "invalid server reply"]);
    expect(await sendMail({ ...m, port: cport })).to.deep.equal([null, "connection refused"]);
  });

  it("message: multipart with preamble and epilogue, a source body, and a failing source", () => {
    const copas = new Copas({ clock: new ManualClock(0) });
    let n = 0;
    const src = copas.smtp.message({
      headers: { Subject: "parts", date: "fixed" },
      body: {
        preamble: "pre",
        parts: [{ body: "first" }, { headers: { "content-type": "text/html" }, body: () => (n++ < 2 ? `<p>${n}</p>` : null) }],
        epilogue: "epi",
      },
    });
    let all = "";
    for (let c = src(); c !== null; c = src()) all += c as string;
    const bd = /boundary="([^"]+)"/.exec(all)![1]!;
    expect(bd).to.match(/^01011970000000\d{5}==00001$/);
    expect(all).to.equal(
      `Subject: parts\r\nDate: fixed\r\nX-Mailer: ${copas.smtp.USERAGENT}\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="${bd}"\r\n\r\n` +
        `pre\r\n\r\n--${bd}\r\nContent-Type: text/plain; charset="iso-8859-1"\r\n\r\nfirst` +
        `\r\n--${bd}\r\nContent-Type: text/html\r\n\r\n<p>1</p><p>2</p>` +
        `\r\n--${bd}--\r\n\r\nepi\r\n`,
    );
    const bad = copas.smtp.message({ body: () => [null, "disk error"] });
    bad();
    expect(bad()).to.deep.equal([null, "disk error"]);
  });

  it("a recipient holding CR or LF is refused, not sent as a second command", async () => {
    const { port, sessions } = await smtpServer();
    const r = await sendMail({ from: "<a@b>", rcpt: "<c@d>\r\nRCPT TO:<evil@x>", server: "127.0.0.1", port });
    expect(r).to.deep.equal([null, "invalid command: CR or LF in it"]);
    expect(sessions[0]!.lines.join("|")).to.not.include("evil");
  });

  it("a source error fails the send", async () => {
    const { port } = await smtpServer();
    const copas = new Copas();
    let out: unknown;
    await run(copas, function* () {
      out = yield* copas.smtp.send({ from: "<a@b>", rcpt: "<c@d>", server: "127.0.0.1", port, source: () => [null, "broken source"] });
    });
    expect(out).to.deep.equal([null, "broken source"]);
  });

  it("bad arguments are TypeErrors", () => {
    const c = new Copas();
    expect(() => c.smtp.send(null as never)).to.throw(TypeError, /smtp\.send: bad argument 'mailt'/);
    expect(() => c.smtp.send({ from: 1, rcpt: "x" } as never)).to.throw(TypeError, /'mailt\.from'/);
    expect(() => c.smtp.send({ from: "x", rcpt: [1] } as never)).to.throw(TypeError, /'mailt\.rcpt'/);
    expect(() => c.smtp.message({ body: { parts: 3 } } as never)).to.throw(TypeError, /'mesgt\.body'/);
  });
});
