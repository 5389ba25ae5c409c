// bin/copas (the command-line runner, as Copas's bin/copas.lua) run as a child process. Every
// wait is on an event (a line printed, a reply received, the process exiting), never on time.
import { spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "chai";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const fixture = (f: string) => path.join("spec/bin/fixtures", f);

interface Run {
  code: Promise<number | null>;
  out: () => string;
  err: () => string;
  /** Resolves with the first stdout line matching `re`. */
  line: (re: RegExp) => Promise<RegExpMatchArray>;
}

/** `copas args...`, from the sources (the scripts' `import "copas"` resolves to lib/ too). */
function copas(args: string[], stdin?: string): Run {
  const child = spawn(process.execPath, ["--conditions=copas-source", "--import", "tsx", "bin/copas.js", ...args], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  const watchers: (() => void)[] = [];
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    out += d;
    for (const w of watchers.slice()) w();
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  child.stdin.end(stdin ?? "");
  const code = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
  const line = (re: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const look = () => {
        const m = out.match(re);
        if (m === null) return false;
        resolve(m);
        return true;
      };
      if (look()) return;
      const w = () => {
        if (look()) watchers.splice(watchers.indexOf(w), 1);
      };
      watchers.push(w);
      void code.then(() => reject(new Error(`exited without ${re}; stdout: ${out}; stderr: ${err}`)));
    });
  return { code, out: () => out, err: () => err, line };
}

/** Sends one line to 127.0.0.1:port and resolves with the reply line. */
function ask(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect(port, "127.0.0.1", () => c.write(text + "\n"));
    let got = "";
    c.setEncoding("latin1");
    c.on("data", (d: string) => {
      got += d;
      if (got.includes("\n")) {
        c.end();
        resolve(got.slice(0, got.indexOf("\n")));
      }
    });
    c.on("error", reject);
  });
}

describe("bin/copas", () => {
  // Each run costs a Node start with tsx (about a second here): they all start at once.
  const runs: Record<string, Run> = {};
  before(() => {
    runs.version = copas(["-v", "-l", "./" + fixture("lib-module.ts"), "-e", "yield* copas.pause(0.01); console.log('lib', globalThis.libLoaded, typeof socket.bind)"]);
    runs.echo = copas([fixture("echo-once.ts"), "hi", "there"]);
    runs.main = copas(["--", fixture("main-thread.ts"), "a", "-v"]);
    runs.fail = copas([fixture("main-thread.ts"), "fail"]);
    runs.stdin = copas([], "console.log('stdin', (yield* copas.pause(0)) >= 0)");
    runs.usage = copas(["-x"]);
    runs.open = copas([fixture("open-socket.ts")]);
  });

  it("-v prints the version and Node's; -l imports a module, -e runs code that may wait, in command-line order", async () => {
    const r = runs.version!;
    expect(await r.code).to.equal(0);
    const lines = r.out().split("\n");
    expect(lines[0]).to.match(/^copas \d+\.\d+\.\d+ \(Copas 4\.11\.0 for TypeScript\)\t/);
    expect(lines.slice(1)).to.deep.equal(["Coroutine Oriented Portable Asynchronous Services", `Node.js:\t${process.version}`, "lib yes function", ""]);
  });

  it("runs a script that adds a server and returns, then loops until it is removed; arguments in process.argv", async () => {
    const r = runs.echo!;
    const m = await r.line(/listening (\d+) argv (\S+)/);
    expect(m[2]).to.equal("hi,there");
    expect(await ask(Number(m[1]), "copas")).to.equal("hi copas");
    expect(await r.code).to.equal(0);
    expect(r.err()).to.equal("");
  });

  it("runs a default-exported generator in the initializer thread, with the arguments; -- ends the options", async () => {
    const r = runs.main!;
    expect(await r.code).to.equal(0);
    expect(r.out()).to.equal("main a,-v slept true\n");
  });

  it("an error in the script: the traceback to stderr and exit status 1", async () => {
    const r = runs.fail!;
    expect(await r.code).to.equal(1);
    expect(r.err()).to.match(/^main failed on purpose \(coroutine: copas_initializer, socket: nil\)\nstack traceback:\n/);
    expect(r.out()).to.equal("");
  });

  it("without arguments runs standard input (as `-`)", async () => {
    const r = runs.stdin!;
    expect(await r.code).to.equal(0);
    expect(r.out()).to.equal("stdin true\n");
  });

  it("an unknown option prints the usage and exits 1", async () => {
    const r = runs.usage!;
    expect(await r.code).to.equal(1);
    expect(r.out()).to.match(/^usage: copas \[options\]\.\.\. \[script \[args\]\.\.\.\]\.\n/);
  });

  it("exits when the loop is done, even with a socket the script left open", async () => {
    const r = runs.open!;
    expect(await r.code).to.equal(0);
    expect(r.out()).to.equal("thread done\n");
  });
});
