// Runs each example as a child process in smoke mode (EXAMPLE_SMOKE=1, PORT=0) and talks to
// it over a real socket. Every wait is on an event (a line printed, a line received, the
// process exiting), never on time.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** Lines from a stream, read one at a time. */
class Lines {
  #buf = "";
  #lines: string[] = [];
  #waiters: ((l: string | null) => void)[] = [];
  #ended = false;
  all: string[] = [];

  constructor(s: NodeJS.ReadableStream) {
    s.setEncoding("latin1");
    s.on("data", (d: string) => {
      this.#buf += d;
      let i: number;
      while ((i = this.#buf.indexOf("\n")) !== -1) {
        this.#put(this.#buf.slice(0, i));
        this.#buf = this.#buf.slice(i + 1);
      }
    });
    s.on("end", () => {
      this.#ended = true;
      for (const w of this.#waiters.splice(0)) w(null);
    });
  }

  #put(l: string): void {
    this.all.push(l);
    const w = this.#waiters.shift();
    if (w) w(l);
    else this.#lines.push(l);
  }

  /** The next line, or null at the end of the stream. */
  next(): Promise<string | null> {
    const l = this.#lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

interface Running {
  child: ChildProcess;
  out: Lines;
  port: number;
  exit: Promise<number | null>;
  stderr: () => string;
}

async function start(file: string, args: string[] = []): Promise<Running> {
  const child = spawn(process.execPath, ["--conditions=copas-source", "--import", "tsx", path.join("examples", file), ...args], {
    cwd: root,
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", EXAMPLE_SMOKE: "1" },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const out = new Lines(child.stdout);
  for (;;) {
    const l = await out.next();
    if (l === null) throw new Error(`${file} ended before listening: ${err}`);
    const m = /listening on ([\d.]+):(\d+)/.exec(l);
    if (m) return { child, out, port: Number(m[2]), exit, stderr: () => err };
  }
}

interface Client {
  lines: Lines;
  send(s: string): void;
  closed: Promise<void>;
}

function connect(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("error", reject);
    const closed = new Promise<void>((r) => s.once("close", () => r()));
    s.once("connect", () => resolve({ lines: new Lines(s), send: (x) => s.write(x), closed }));
  });
}

/** Talks the echo protocol: each line comes back, "quit" closes the connection. */
async function checkEcho(port: number, transform: (s: string) => string = (s) => s): Promise<void> {
  const c = await connect(port);
  c.send("hello\n");
  expect(await c.lines.next()).to.equal(transform("hello"));
  // A line in pieces, and two lines in one write.
  c.send("one, two");
  c.send(" and three\nsecond line\n");
  expect(await c.lines.next()).to.equal(transform("one, two and three"));
  expect(await c.lines.next()).to.equal(transform("second line"));
  c.send("quit\n");
  expect(await c.lines.next()).to.equal(null);
  await c.closed;
}

async function done(r: Running, last: RegExp): Promise<void> {
  const code = await r.exit;
  expect(code, r.stderr()).to.equal(0);
  expect(r.out.all.at(-1)).to.match(last);
}

describe("examples (run as child processes, smoke mode)", function () {
  this.timeout(30000);

  it("echo-server.ts: echoes lines, prints how to try it, quit closes", async () => {
    const r = await start("echo-server.ts");
    expect(await r.out.next()).to.match(/^try it: nc 127\.0\.0\.1 \d+/);
    await checkEcho(r.port);
    await done(r, /done/);
  });

  it("echo-wrap.ts: the copas.wrap form echoes the same", async () => {
    const r = await start("echo-wrap.ts");
    await checkEcho(r.port);
    await done(r, /done/);
  });

  for (const args of [[], ["--wrap"], ["--before"]]) {
    it(`migration.ts ${args.join(" ") || "(after, copas.receive/send)"}: answers in upper case`, async () => {
      const r = await start("migration.ts", args);
      await checkEcho(r.port, (s) => s.toUpperCase());
      await done(r, /done/);
    });
  }

  it("migration.ts: the migrated server serves two clients at once", async () => {
    const r = await start("migration.ts", ["--wrap"]);
    const a = await connect(r.port);
    const b = await connect(r.port);
    // b is answered while a is still connected (the old server would make b wait).
    b.send("b first\n");
    expect(await b.lines.next()).to.equal("B FIRST");
    a.send("a second\n");
    expect(await a.lines.next()).to.equal("A SECOND");
    b.send("quit\n");
    await b.closed;
    a.send("quit\n");
    await a.closed;
    // Smoke mode stops after the first handler ends; the process exits once both are done.
    await done(r, /done/);
  });

  it("own-loop.ts: serves clients between its own processing, answers stdin commands", async () => {
    const r = await start("own-loop.ts");
    expect(await r.out.next()).to.match(/try it/);
    r.child.stdin!.write("status\n");
    const status = await r.out.next();
    expect(status).to.match(/^status: \{.*"read":1/);
    await checkEcho(r.port);
    await done(r, /^own loop: done after \d+ steps, 1 client\(s\) served$/);
  });

  it("chat-server.ts: broadcasts to the others, /nick renames, /quit leaves", async () => {
    const r = await start("chat-server.ts");
    const a = await connect(r.port);
    expect(await a.lines.next()).to.equal("* welcome, guest1; 0 other(s) here. Commands: /nick NAME, /quit");
    const b = await connect(r.port);
    expect(await b.lines.next()).to.equal("* welcome, guest2; 1 other(s) here. Commands: /nick NAME, /quit");
    expect(await a.lines.next()).to.equal("* guest2 joined");

    a.send("/nick alice\n");
    expect(await a.lines.next()).to.equal("* you are now alice");
    expect(await b.lines.next()).to.equal("* guest1 is now alice");
    b.send("/nick alice\n");
    expect(await b.lines.next()).to.equal("* alice is taken");
    b.send("/nick bob\n");
    expect(await b.lines.next()).to.equal("* you are now bob");
    expect(await a.lines.next()).to.equal("* guest2 is now bob");

    a.send("hi bob\n");
    expect(await b.lines.next()).to.equal("<alice> hi bob");
    b.send("hi alice\nhow are you?\n");
    expect(await a.lines.next()).to.equal("<bob> hi alice");
    expect(await a.lines.next()).to.equal("<bob> how are you?");
    b.send("/shout\n");
    expect(await b.lines.next()).to.equal("* unknown command /shout");

    b.send("/quit\n");
    expect(await b.lines.next()).to.equal("* bye");
    expect(await b.lines.next()).to.equal(null);
    expect(await a.lines.next()).to.equal("* bob left");
    a.send("alone\n");
    a.send("/quit\n");
    expect(await a.lines.next()).to.equal("* bye");
    expect(await a.lines.next()).to.equal(null);
    await done(r, /done/);
    // Nobody got their own lines back.
    expect(a.lines.all.some((l) => l.includes("<alice>"))).to.equal(false);
    expect(b.lines.all.some((l) => l.includes("<bob>"))).to.equal(false);
  });
});
