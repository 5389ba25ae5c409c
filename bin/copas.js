#!/usr/bin/env node
// copas [options]... [script [args]...]: Copas's command-line runner (bin/copas.lua) for Node.
//
// As in Copas, everything runs inside `copas(init)`: the options and the script run in the
// initializer thread, whose error handler writes the traceback to stderr and exits with status 1,
// and the dispatcher then loops until nothing is left to do. Threads and servers the script
// adds keep their default error handler (a traceback, and the loop goes on), as in Copas.
//
//   -e code   run `code`: the body of a generator function with `copas`, `socket` and `arg` in
//             scope, so it may `yield* copas.pause(1)` and `yield` Promises
//   -l name   import module `name` (a package, or a path relative to the working directory)
//   -v        print version information
//   --        stop handling options (the next argument, if any, is the script)
//   -         run standard input as code, and stop handling options (the default with no arguments)
//
// A script is imported as an ES module with `process.argv` set to [node, script, ...args]. It may
// add threads and servers and return, or export a default function, which runs in the
// initializer thread as `yield fn(...args)` (a `function*` may wait; an async function is awaited).
// TypeScript scripts (.ts, .mts, .cts) run through tsx, which must be installed beside copas
// (`npm install --save-dev tsx`) unless node already loads it (`node --import tsx`).
//
// Unlike Lua, Node does not end while sockets are open, even when nothing uses them: the runner
// exits once the loop is done, as the Lua process does.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import copas, { socket } from "copas";

const require = createRequire(import.meta.url);
const pkg = require("../package.json");
const GeneratorFunction = Object.getPrototypeOf(function* () {}).constructor;
const TS_FILE = /\.[cm]?tsx?$/;

/** The runner's error handler: the traceback to stderr, then exit with status 1 (as Copas's). */
function errorhandler(err, thread, skt) {
  process.stderr.write(copas.gettraceback(err, thread, skt) + "\n");
  process.exit(1);
}

function versionInfo() {
  console.log(`copas ${pkg.version} (Copas 4.11.0 for TypeScript)\tCopyright (c) the copas for TypeScript authors; Copas: Kepler Project, Thijs Schreijer`);
  console.log("Coroutine Oriented Portable Asynchronous Services");
  console.log(`Node.js:\t${process.version}`);
}

function showUsage() {
  console.log(`usage: copas [options]... [script [args]...].
Available options are:
  -e chunk  Execute string 'chunk'.
  -l name   Require library 'name'.
  -v        Show version information.
  --        Stop handling options.
  -         Execute stdin and stop handling options.`);
  process.exit(1);
}

/** True when node can already load TypeScript (started with tsx as a loader). */
function tsxLoaded() {
  return /(^|[\s=])tsx(\/esm)?(\s|$)/.test([...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" "));
}

let tsxRegistered = false;
/** Registers tsx's ESM loader: the working directory's tsx, else one copas itself can import. */
async function registerTsx() {
  if (tsxRegistered || tsxLoaded()) return;
  let api;
  try {
    // tsx's ESM entry as the working directory's packages resolve it (require.resolve would
    // give its CommonJS entry, whose register() cannot be called from an ES module).
    const manifest = createRequire(path.join(process.cwd(), "noop.js")).resolve("tsx/package.json");
    const entry = JSON.parse(readFileSync(manifest, "utf8")).exports["./esm/api"].import.default;
    api = await import(pathToFileURL(path.join(path.dirname(manifest), entry)).href);
  } catch {
    try {
      api = await import("tsx/esm/api");
    } catch {
      throw new Error("copas: TypeScript scripts run through tsx, which is not installed: npm install --save-dev tsx");
    }
  }
  api.register();
  tsxRegistered = true;
}

/** A module specifier as Lua's `require` finds it: a path relative to the working directory, or a package. */
function moduleUrl(name) {
  if (name.startsWith(".") || path.isAbsolute(name)) return pathToFileURL(path.resolve(name)).href;
  try {
    return pathToFileURL(createRequire(path.join(process.cwd(), "noop.js")).resolve(name)).href;
  } catch {
    return name; // an import-only package: resolved from copas's own location
  }
}

function* loadLib(name) {
  const url = moduleUrl(name);
  if (TS_FILE.test(url)) yield registerTsx();
  yield import(url);
}

/** Runs `code` as the body of a generator function, on the initializer thread. */
function* runCode(code, args) {
  const fn = new GeneratorFunction("copas", "socket", "arg", code);
  yield* fn(copas, socket, args);
}

function readStdin() {
  return new Promise((resolve, reject) => {
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (d) => (text += d));
    process.stdin.on("end", () => resolve(text));
    process.stdin.on("error", reject);
  });
}

function* runFile(file, args) {
  const full = path.resolve(file);
  process.argv = [process.argv[0], full, ...args];
  if (TS_FILE.test(full)) yield registerTsx();
  const mod = yield import(pathToFileURL(full).href);
  if (typeof mod.default !== "function") return;
  const r = mod.default(...args);
  // A generator runs as a sub-call of this thread; a Promise is waited for; anything else is done.
  if (r !== null && typeof r === "object" && (typeof r.next === "function" || typeof r.then === "function")) yield r;
}

const argv = process.argv.slice(2);

await copas(function* init() {
  copas.seterrorhandler(errorhandler);
  let i = 0;
  while (i < Math.max(argv.length, 1)) {
    const opt = argv[i] ?? "-"; // no arguments: run stdin
    i++;
    if (opt === "-v") versionInfo();
    else if (opt === "-l") yield* loadLib(argv[i++] ?? showUsage());
    else if (opt === "-e") yield* runCode(argv[i++] ?? showUsage(), argv);
    else if (opt === "--") {
      if (i < argv.length) return yield* runFile(argv[i], argv.slice(i + 1));
      return;
    } else if (opt === "-") return yield* runCode(yield readStdin(), argv.slice(i));
    else if (opt.startsWith("-")) showUsage();
    else return yield* runFile(opt, argv.slice(i));
  }
});
// The Lua process ends here; Node would wait for sockets a script left open.
process.exit(process.exitCode ?? 0);
