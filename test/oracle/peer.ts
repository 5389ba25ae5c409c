// The oracle's scripted peer: plain node:net, no copas. A driver (driver.lua or driver.ts)
// connects to the control port and sends one command a line; every command is answered with
// one line once it has taken effect (written data handed to the kernel, FIN or RST sent), so
// the driver's next step sees it: the two take turns by acknowledgement, never by sleeping.
//
//   listen [tls]      -> "port N"      a listener for the driver's data connection (TLS: serverA.pem)
//   accept            -> "ok"          once the driver's connection was accepted
//   connect N         -> "ok"          connects to the driver's server on port N
//   send HEX          -> "ok"          written, and handed to the kernel
//   shutdown          -> "ok"          FIN sent (half close)
//   close             -> "ok"          closed (FIN, or RST if the driver's data was unread)
//   reset             -> "ok"          RST sent
//   pause / resume    -> "ok"          stop / go on reading (the kernel's buffers fill up)
//   recv N            -> "data HEX more|eof|reset|timeout"   N bytes, or what came before the end
//   recvall           -> "data HEX eof|reset|timeout"        everything until the end
//   http HEX...       -> "port N"      an HTTP server answering the k-th request with the k-th response
//   smtp [HEX...]     -> "port N"      an SMTP server (optional replies to DATA's end)
//   ftp [HEX...]      -> "port N"      an FTP server with the files "name\0content"
//   log               -> "log HEX"     what the scripted servers received since the last log
//   udp               -> "port N"      a UDP socket for the driver's datagrams
//   udprecv N         -> "dgrams =HEX,=HEX... N|timeout"  the first N datagrams received
//   udpsend HEX       -> "ok"          a datagram to where the last one came from
//
// Every session (control connection) has its own sockets; all are destroyed when it ends.

import dgram from "node:dgram";
import { readFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import tls from "node:tls";
import { fileURLToPath } from "node:url";

/** The test certificates (spec/fixtures): the TLS peer is "localhost" / 127.0.0.1, signed by rootA. */
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../spec/fixtures");

const WAIT = 3000; // ms a recv waits for data that does not come (a driver bug, not a result)

function hex(b: Buffer | string): string {
  return (typeof b === "string" ? Buffer.from(b, "latin1") : b).toString("hex");
}
function unhex(h: string | undefined): Buffer {
  return Buffer.from(h ?? "", "hex");
}

class Session {
  #ctl: net.Socket;
  #data: net.Socket | null = null;
  #listener: net.Server | null = null;
  #servers: net.Server[] = [];
  #sockets = new Set<net.Socket>();
  #buf: Buffer[] = [];
  #len = 0;
  #state: "open" | "eof" | "reset" = "open";
  #changed: (() => void)[] = [];
  #log = "";
  #ports: number[] = [];
  /** Scripted HTTP connections not yet closed (their requests are logged at close). */
  #open = 0;
  #queue: string[] = [];
  #udp: dgram.Socket | null = null;
  #dgrams: Buffer[] = [];
  #udpFrom: dgram.RemoteInfo | null = null;
  #busy = false;
  #pending = "";

  constructor(ctl: net.Socket) {
    this.#ctl = ctl;
    ctl.setNoDelay(true);
    ctl.on("data", (d: Buffer) => {
      this.#pending += d.toString("latin1");
      let nl: number;
      while ((nl = this.#pending.indexOf("\n")) >= 0) {
        this.#queue.push(this.#pending.slice(0, nl).replace(/\r$/, ""));
        this.#pending = this.#pending.slice(nl + 1);
      }
      void this.#pump();
    });
    ctl.on("error", () => {});
    ctl.on("close", () => this.destroy());
  }

  destroy(): void {
    this.#data?.destroy();
    this.#udp?.close();
    this.#udp = null;
    this.#listener?.close();
    for (const s of this.#servers) s.close();
    for (const s of this.#sockets) s.destroy();
    this.#wake();
  }

  async #pump(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      while (this.#queue.length > 0) {
        const line = this.#queue.shift()!;
        // First let Node read what the kernel already holds: data the driver sent before this
        // command (on another socket) is then taken, so a "close" finds nothing unread and ends
        // with a FIN, never a RST that depends on which socket Node read first.
        await new Promise((r) => setImmediate(r));
        let answer: string;
        try {
          answer = await this.#command(line);
        } catch (e) {
          answer = `fail ${(e as Error).message.replace(/\s+/g, " ")}`;
        }
        // Let the kernel finish what the command started (a FIN, a RST) before answering.
        await new Promise((r) => setImmediate(r));
        if (!this.#ctl.destroyed) this.#ctl.write(answer + "\n");
      }
    } finally {
      this.#busy = false;
    }
  }

  #wake(): void {
    const w = this.#changed;
    this.#changed = [];
    for (const f of w) f();
  }

  #waitFor(cond: () => boolean, ms = WAIT): Promise<boolean> {
    if (cond()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(cond()), ms);
      const check = () => {
        if (cond()) {
          clearTimeout(timer);
          resolve(true);
        } else this.#changed.push(check);
      };
      this.#changed.push(check);
    });
  }

  #adopt(s: net.Socket): void {
    this.#data = s;
    s.setNoDelay(true);
    s.on("data", (d: Buffer) => {
      this.#buf.push(d);
      this.#len += d.length;
      this.#wake();
    });
    s.on("end", () => {
      if (this.#state === "open") this.#state = "eof";
      this.#wake();
    });
    s.on("error", () => {
      this.#state = "reset";
      this.#wake();
    });
    s.on("close", () => this.#wake());
  }

  #take(n: number): Buffer {
    const all = Buffer.concat(this.#buf);
    const out = all.subarray(0, n);
    const rest = all.subarray(n);
    this.#buf = rest.length ? [rest] : [];
    this.#len = rest.length;
    return out;
  }

  #listen(onConnection: (s: net.Socket) => void, secure = false): Promise<number> {
    return new Promise((resolve, reject) => {
      const accepted = (s: net.Socket) => {
        this.#sockets.add(s);
        s.on("error", () => {});
        onConnection(s);
      };
      const server = secure
        ? tls.createServer(
            { allowHalfOpen: true, key: readFileSync(path.join(FIXTURES, "serverAkey.pem")), cert: readFileSync(path.join(FIXTURES, "serverA.pem")) },
            accepted,
          )
        : net.createServer({ allowHalfOpen: true }, accepted);
      if (secure) server.on("tlsClientError", () => {});
      this.#servers.push(server);
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as net.AddressInfo).port;
        this.#ports.push(port);
        resolve(port);
      });
    });
  }

  async #command(line: string): Promise<string> {
    const [cmd, ...args] = line.split(" ");
    const data = this.#data;
    switch (cmd) {
      case "listen": {
        const port = await this.#listen((s) => {
          if (this.#data === null) this.#adopt(s);
          this.#wake();
        }, args[0] === "tls");
        this.#listener = this.#servers[this.#servers.length - 1]!;
        return `port ${port}`;
      }
      case "accept":
        return (await this.#waitFor(() => this.#data !== null)) ? "ok" : "fail no connection";
      case "connect": {
        const s = net.connect({ host: "127.0.0.1", port: Number(args[0]), allowHalfOpen: true });
        this.#sockets.add(s);
        this.#adopt(s);
        await new Promise<void>((resolve, reject) => {
          s.once("connect", resolve);
          s.once("error", reject);
        });
        return "ok";
      }
      case "send":
        if (!data) return "fail no connection";
        return new Promise((resolve) => {
          data.write(unhex(args[0]), () => resolve("ok"));
        });
      case "shutdown":
        if (!data) return "fail no connection";
        return new Promise((resolve) => data.end(() => resolve("ok")));
      case "close":
        if (!data) return "fail no connection";
        data.destroy();
        await new Promise((r) => (data.closed ? r(null) : data.once("close", r)));
        return "ok";
      case "reset":
        if (!data) return "fail no connection";
        if (data instanceof tls.TLSSocket) {
          // No RST through the TLS layer: reset the TCP socket under it.
          (data as unknown as { _parent?: net.Socket })._parent?.resetAndDestroy();
          data.destroy();
        } else data.resetAndDestroy();
        await new Promise((r) => (data.closed ? r(null) : data.once("close", r)));
        return "ok";
      case "pause":
        if (!data) return "fail no connection";
        data.pause();
        return "ok";
      case "resume":
        if (!data) return "fail no connection";
        data.resume();
        return "ok";
      case "recv": {
        const n = Number(args[0]);
        const ok = await this.#waitFor(() => this.#len >= n || this.#state !== "open");
        const end = this.#len >= n ? "more" : ok ? this.#state : "timeout";
        return `data ${hex(this.#take(n))} ${end}`;
      }
      case "recvall": {
        const ok = await this.#waitFor(() => this.#state !== "open");
        return `data ${hex(this.#take(this.#len))} ${ok ? this.#state : "timeout"}`;
      }
      case "http":
        return `port ${await this.#http(args.map(unhex))}`;
      case "smtp":
        return `port ${await this.#smtp(args.map(unhex))}`;
      case "ftp":
        return `port ${await this.#ftp(args.map(unhex))}`;
      case "udp": {
        const u = dgram.createSocket("udp4");
        this.#udp = u;
        u.on("message", (m, rinfo) => {
          this.#dgrams.push(m);
          this.#udpFrom = rinfo;
          this.#wake();
        });
        await new Promise<void>((r) => u.bind(0, "127.0.0.1", r));
        return `port ${u.address().port}`;
      }
      case "udprecv": {
        const n = Number(args[0]);
        const ok = await this.#waitFor(() => this.#dgrams.length >= n);
        const got = this.#dgrams.splice(0, n);
        // each datagram "=HEX" (an empty one is "="), so none is lost in the split
        return `dgrams ${got.map((g) => "=" + hex(g)).join(",") || "-"} ${ok ? got.length : "timeout"}`;
      }
      case "udpsend": {
        const u = this.#udp;
        const to = this.#udpFrom;
        if (!u || !to) return "fail no datagram to answer";
        await new Promise<void>((r) => u.send(unhex(args[0]), to.port, to.address, () => r()));
        return "ok";
      }
      case "log": {
        await this.#waitFor(() => this.#open === 0); // the scripted servers' connections are over
        const log = this.#normalize(this.#log);
        this.#log = "";
        return `log ${hex(log)}`;
      }
      default:
        return `fail unknown command ${cmd}`;
    }
  }

  /** Ports of this session's servers become "$PORT", so the two runs compare. */
  #normalize(text: string): string {
    for (const p of this.#ports) text = text.split(`:${p}`).join(":$PORT").split(`|${p}|`).join("|$PORT|");
    return text;
  }

  // ---- HTTP: one request per connection; the k-th gets the k-th response, then a close ----

  #http(responses: Buffer[]): Promise<number> {
    let k = 0;
    return this.#listen((s) => {
      // Logged when the connection is over: all the client sent (a body it sends without
      // saying so, LuaSocket's chunks without a header, may come after the response).
      this.#open++;
      let got = Buffer.alloc(0);
      let done = false;
      s.on("data", (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (done || completeRequest(got) === null) return;
        done = true;
        const resp = responses[k++] ?? Buffer.from("HTTP/1.1 500 No more responses\r\nContent-Length: 0\r\n\r\n");
        s.end(resp);
      });
      s.once("close", () => {
        this.#log += normalizeHead(got.toString("latin1"));
        this.#open--;
        this.#wake();
      });
    });
  }

  // ---- SMTP: a transcript of commands and the message (headers sorted) ----

  #smtp(replies: Buffer[]): Promise<number> {
    return this.#listen((s) => {
      let pending = "";
      let inData = false;
      let message = "";
      let nMessage = 0;
      const reply = (r: string): void => void s.write(r + "\r\n");
      reply("220 localhost ESMTP oracle");
      s.on("data", (d: Buffer) => {
        pending += d.toString("latin1");
        for (;;) {
          if (inData) {
            const end = pending.indexOf("\r\n.\r\n");
            if (end < 0) return;
            message += pending.slice(0, end + 2);
            pending = pending.slice(end + 5);
            inData = false;
            this.#log += "DATA<<\n" + normalizeMessage(message) + ">>\n";
            message = "";
            const r = replies[nMessage++];
            reply(r ? r.toString("latin1") : "250 OK queued");
            continue;
          }
          const nl = pending.indexOf("\r\n");
          if (nl < 0) return;
          const cmdline = pending.slice(0, nl);
          pending = pending.slice(nl + 2);
          this.#log += cmdline + "\n";
          const verb = cmdline.slice(0, 4).toUpperCase();
          if (verb === "EHLO") reply("250-localhost\r\n250 8BITMIME");
          else if (verb === "HELO") reply("250 localhost");
          else if (verb === "DATA") {
            inData = true;
            reply("354 go ahead");
          } else if (verb === "QUIT") {
            s.end("221 bye\r\n");
            return;
          } else reply("250 OK");
        }
      });
    });
  }

  // ---- FTP: control commands logged; PASV and EPSV; RETR and STOR on the data connection ----

  #ftp(files: Buffer[]): Promise<number> {
    const store = new Map<string, Buffer>();
    for (const f of files) {
      const z = f.indexOf(0);
      store.set(f.subarray(0, z).toString("latin1"), f.subarray(z + 1));
    }
    return this.#listen((s) => {
      let pending = "";
      let dataServer: net.Server | null = null;
      let dataConn: Promise<net.Socket> | null = null;
      const reply = (r: string): void => void s.write(r + "\r\n");
      const passive = async (): Promise<number> => {
        let resolveConn!: (c: net.Socket) => void;
        dataConn = new Promise((r) => (resolveConn = r));
        const port = await new Promise<number>((resolve) => {
          dataServer = net.createServer({ allowHalfOpen: true }, (c) => {
            this.#sockets.add(c);
            c.on("error", () => {});
            resolveConn(c);
          });
          this.#servers.push(dataServer);
          dataServer.listen(0, "127.0.0.1", () => resolve((dataServer!.address() as net.AddressInfo).port));
        });
        this.#ports.push(port);
        return port;
      };
      const handle = async (cmdline: string): Promise<void> => {
        this.#log += cmdline.replace(/^PASS .*/i, "PASS ***") + "\n";
        const [verb0, ...rest] = cmdline.split(" ");
        const verb = (verb0 ?? "").toUpperCase();
        const argument = rest.join(" ");
        switch (verb) {
          case "USER":
            return reply("331 password please");
          case "PASS":
            return reply("230 logged in");
          case "TYPE":
            return reply("200 type set");
          case "CWD":
            return reply("250 ok");
          case "PASV": {
            const port = await passive();
            return reply(`227 Entering Passive Mode (127,0,0,1,${port >> 8},${port & 255})`);
          }
          case "EPSV": {
            const port = await passive();
            return reply(`229 Entering Extended Passive Mode (|||${port}|)`);
          }
          case "RETR": {
            const file = store.get(argument);
            if (!file || !dataConn) return reply("550 no such file");
            reply("150 sending");
            const c = await dataConn;
            await new Promise<void>((r) => c.end(file, r));
            (dataServer as net.Server | null)?.close();
            return reply("226 done");
          }
          case "STOR": {
            if (!dataConn) return reply("425 no data connection");
            reply("150 receiving");
            const c = await dataConn;
            const chunks: Buffer[] = [];
            c.on("data", (d: Buffer) => chunks.push(d));
            await new Promise((r) => c.once("end", r));
            c.end();
            const body = Buffer.concat(chunks);
            store.set(argument, body);
            this.#log += `STORED ${JSON.stringify(body.toString("latin1"))}\n`;
            (dataServer as net.Server | null)?.close();
            return reply("226 stored");
          }
          case "QUIT":
            s.end("221 bye\r\n");
            return;
          default:
            return reply("500 unknown command");
        }
      };
      let chain = Promise.resolve();
      reply("220 oracle FTP");
      s.on("data", (d: Buffer) => {
        pending += d.toString("latin1");
        let nl: number;
        while ((nl = pending.indexOf("\r\n")) >= 0) {
          const cmdline = pending.slice(0, nl);
          pending = pending.slice(nl + 2);
          chain = chain.then(() => handle(cmdline));
        }
      });
    });
  }
}

/** The request in `got` if complete (head, then a Content-Length or chunked body), else null. */
function completeRequest(got: Buffer): Buffer | null {
  const text = got.toString("latin1");
  const headEnd = text.indexOf("\r\n\r\n");
  if (headEnd < 0) return null;
  const head = text.slice(0, headEnd).toLowerCase();
  const body = text.slice(headEnd + 4);
  const cl = /\ncontent-length:\s*(\d+)/.exec(head);
  if (cl) return body.length >= Number(cl[1]) ? got : null;
  if (/\ntransfer-encoding:\s*chunked/.test(head)) return /(^|\r\n)0\r\n(.*\r\n)*\r\n$/.test(body) ? got : null;
  return got;
}

/** A request or message head with its header lines sorted (LuaSocket writes them in hash order). */
export function normalizeHead(text: string): string {
  const headEnd = text.indexOf("\r\n\r\n");
  if (headEnd < 0) return text;
  const lines = text.slice(0, headEnd).split("\r\n");
  const first = lines.shift()!;
  return [first, ...lines.sort()].join("\r\n") + text.slice(headEnd);
}

/** A message: header blocks sorted (at each level of a multipart), the boundary named. */
export function normalizeMessage(text: string): string {
  const m = /boundary="([^"]+)"/.exec(text);
  if (m) text = text.split(m[1]!).join("$BOUNDARY");
  // Sort every header block: the message's, and each part's (after a boundary line).
  const sortBlock = (block: string) => block.split("\r\n").sort().join("\r\n");
  const headEnd = text.indexOf("\r\n\r\n");
  if (headEnd < 0) return text;
  let out = sortBlock(text.slice(0, headEnd)) + "\r\n\r\n";
  let rest = text.slice(headEnd + 4);
  const sep = "--$BOUNDARY\r\n";
  let i: number;
  while ((i = rest.indexOf(sep)) >= 0) {
    out += rest.slice(0, i + sep.length);
    rest = rest.slice(i + sep.length);
    const e = rest.indexOf("\r\n\r\n");
    if (e < 0) break;
    out += sortBlock(rest.slice(0, e)) + "\r\n\r\n";
    rest = rest.slice(e + 4);
  }
  return out + rest;
}

/** The peer: a control server; one Session per connection. */
export class Peer {
  #server: net.Server | null = null;
  #sessions = new Set<Session>();
  port = 0;

  async start(): Promise<number> {
    this.#server = net.createServer((ctl) => {
      const s = new Session(ctl);
      this.#sessions.add(s);
      ctl.on("close", () => this.#sessions.delete(s));
    });
    await new Promise<void>((r) => this.#server!.listen(0, "127.0.0.1", r));
    this.port = (this.#server.address() as net.AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const s of this.#sessions) s.destroy();
    await new Promise((r) => this.#server?.close(r));
  }
}
