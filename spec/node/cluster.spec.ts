// cluster(): the copas server on worker processes sharing one port (node:cluster). Each test
// runs a cluster as child processes (spec/fixtures/cluster-app.ts, or the example) on
// 127.0.0.1 port 0 and talks to it over real sockets. Every wait is on an event (a line
// printed, a line received, a connection closed, a process exiting), never on time.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";
import { cluster } from "copas";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Lines from a stream, one at a time; `until` skips to the first line matching a pattern. */
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
      for (let i = this.#buf.indexOf("\n"); i !== -1; i = this.#buf.indexOf("\n")) {
        const l = this.#buf.slice(0, i);
        this.#buf = this.#buf.slice(i + 1);
        this.all.push(l);
        const w = this.#waiters.shift();
        if (w) w(l);
        else this.#lines.push(l);
      }
    });
    // A socket reset emits 'close' without 'end': either ends the lines.
    const end = () => {
      this.#ended = true;
      for (const w of this.#waiters.splice(0)) w(null);
    };
    s.on("end", end);
    s.on("close", end);
  }

  next(): Promise<string | null> {
    const l = this.#lines.shift();
    if (l !== undefined) return Promise.resolve(l);
    if (this.#ended) return Promise.resolve(null);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  async until(re: RegExp): Promise<RegExpExecArray> {
    for (;;) {
      const l = await this.next();
      if (l === null) throw new Error(`output ended before a line matching ${re}`);
      const m = re.exec(l);
      if (m) return m;
    }
  }
}

interface App {
  child: ChildProcess;
  out: Lines;
  port: number;
  exit: Promise<number | null>;
  stderr: () => string;
}

const running: ChildProcess[] = [];

/** Starts a cluster script; resolves once `workers` workers listen (the fixture's lines). */
async function start(file: string, env: Record<string, string>, ready: RegExp, count: number): Promise<App> {
  const child = spawn(process.execPath, ["--conditions=copas-source", "--import", "tsx", file], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  running.push(child);
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const out = new Lines(child.stdout);
  let port = 0;
  for (let i = 0; i < count; i++) port = Number((await out.until(ready).catch((e: Error) => Promise.reject(new Error(`${e.message}\n${err}`))))[1]);
  return { child, out, port, exit, stderr: () => err };
}

function app(workers = 2): Promise<App> {
  return start(path.join("spec", "fixtures", "cluster-app.ts"), { WORKERS: String(workers) }, /^listening \d+ (\d+)$/, workers);
}

interface Client {
  lines: Lines;
  send(s: string): void;
  ask(s: string): Promise<string | null>;
  closed: Promise<void>;
}

function connect(port: number): Promise<Client> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port });
    s.once("error", reject);
    const closed = new Promise<void>((r) => s.once("close", () => r()));
    s.once("connect", () => {
      s.on("error", () => {}); // a reset shows as the end of the lines
      const lines = new Lines(s);
      resolve({
        lines,
        send: (x) => s.write(x),
        ask: (x) => {
          s.write(x + "\n");
          return lines.next();
        },
        closed,
      });
    });
  });
}

interface Report {
  index: number;
  pid: number;
  status: { read: number; running: boolean } | null;
  report: { served: number } | null;
}

async function status(a: App): Promise<Report[]> {
  a.child.stdin!.write("status\n");
  return JSON.parse((await a.out.until(/^status (.*)$/))[1]!) as Report[];
}

describe("cluster (node:cluster workers sharing a port)", function () {
  this.timeout(60_000);

  afterEach(() => {
    // A failed test must not leave its cluster running (SIGKILL to the primary we started;
    // its workers see the IPC channel close and exit).
    for (const c of running.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  });

  it("checks its options: TypeError naming the argument", () => {
    expect(() => cluster(null as never)).to.throw(TypeError, /options/);
    expect(() => cluster({} as never)).to.throw(TypeError, /options\.setup/);
    expect(() => cluster({ setup() {}, workers: 0 })).to.throw(TypeError, /options\.workers/);
    expect(() => cluster({ setup() {}, workers: 1.5 })).to.throw(TypeError, /options\.workers/);
    expect(() => cluster({ setup() {}, grace: -1 })).to.throw(TypeError, /options\.grace/);
  });

  it("serves from every worker, collects each worker's status(), restarts a crashed worker; the other's connections carry on", async () => {
    const a = await app(2);
    // Round robin: consecutive connections alternate between the workers.
    const clients: { c: Client; pid: number }[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await connect(a.port);
      clients.push({ c, pid: Number(await c.ask("pid")) });
    }
    const pids = clients.map((x) => x.pid);
    expect(new Set(pids).size).to.equal(2);
    expect(await clients[0]!.c.ask("hello")).to.equal("hello");
    const st = await status(a);
    expect(st.map((r) => r.index).sort()).to.deep.equal([0, 1]);
    expect(new Set(st.map((r) => r.pid))).to.deep.equal(new Set(pids));
    for (const r of st) {
      const mine = pids.filter((p) => p === r.pid).length;
      expect(r.status!.running).to.equal(true);
      // The server, and each connection's handler waiting in receive.
      expect(r.status!.read).to.equal(1 + mine);
      expect(r.report!.served).to.equal(mine + (r.pid === pids[0] ? 1 : 0));
    }

    // A crash (SIGKILL) of one worker.
    const victim = pids[0]!;
    const survivors = clients.filter((x) => x.pid !== victim);
    expect(survivors.length).to.equal(3);
    process.kill(victim, "SIGKILL");
    const [, index] = await a.out.until(new RegExp(`^exit (\\d+) ${victim} null SIGKILL$`));
    // The victim's connections end; every other connection still works.
    for (const x of clients.filter((y) => y.pid === victim)) {
      expect(await x.c.lines.next()).to.equal(null);
      await x.c.closed;
    }
    for (const x of survivors) expect(await x.c.ask(`still ${x.pid}`)).to.equal(`still ${x.pid}`);
    // A new worker takes the slot and gets new connections.
    const [, newPid] = await a.out.until(new RegExp(`^online ${index} (\\d+)$`));
    await a.out.until(new RegExp(`^listening ${index} ${a.port}$`));
    const seen: number[] = [];
    for (let i = 0; i < 2; i++) {
      const c = await connect(a.port);
      seen.push(Number(await c.ask("pid")));
    }
    expect(seen).to.include(Number(newPid));
    const after = await status(a);
    expect(after.map((r) => r.pid).sort()).to.deep.equal([Number(newPid), survivors[0]!.pid].sort());
    for (const x of survivors) expect(await x.c.ask("end")).to.equal("end");
    a.child.kill("SIGTERM");
    expect(await a.exit).to.equal(0);
  });

  it("SIGTERM: stops accepting, lets busy threads finish, closes idle connections, then exits 0", async () => {
    const a = await app(2);
    const idle = await connect(a.port);
    expect(Number(await idle.ask("pid"))).to.be.greaterThan(0);
    const busy = await connect(a.port);
    expect(await busy.ask("hold")).to.equal("held");
    a.child.kill("SIGTERM");
    await a.out.until(/^stopping /);
    await a.out.until(/^stopping /);
    // The idle connection is closed at once.
    expect(await idle.lines.next()).to.equal(null);
    // No new connection is served: refused, or accepted by the primary and then closed unread.
    const late = await connect(a.port).catch((e: NodeJS.ErrnoException) => e);
    if (!(late instanceof Error)) {
      late.send("pid\n");
      expect(await late.lines.next()).to.equal(null);
    } else expect(late.code).to.equal("ECONNREFUSED");
    // The busy thread still finishes its work, after exit() was called.
    expect(await busy.ask("last")).to.equal("done last");
    expect(await busy.lines.next()).to.equal(null);
    expect(await a.exit, a.stderr()).to.equal(0);
    const exits = a.out.all.filter((l) => l.startsWith("exit "));
    expect(exits).to.have.length(2);
    for (const l of exits) expect(l).to.match(/^exit \d \d+ 0 null$/);
    expect(a.out.all.at(-1)).to.equal("closed");
  });

  it("examples/cluster-echo.ts: echoes on its workers, answers status, SIGTERM ends it", async () => {
    const a = await start(path.join("examples", "cluster-echo.ts"), { WORKERS: "2", PORT: "0" }, /^echo cluster listening on [\d.]+:(\d+) \(2 workers/, 1);
    const c = await connect(a.port);
    expect(await c.ask("hello")).to.equal("hello");
    const pid = Number(await c.ask("pid"));
    a.child.stdin!.write("status\n");
    const [, json] = await a.out.until(/^status: (.*)$/);
    const st = JSON.parse(json!) as Report[];
    expect(st).to.have.length(2);
    expect(st.find((r) => r.pid === pid)!.report!.served).to.equal(2);
    a.child.kill("SIGTERM");
    expect(await c.lines.next()).to.equal(null);
    expect(await a.exit, a.stderr()).to.equal(0);
    expect(a.out.all.at(-1)).to.equal("echo cluster: done");
  });
});
