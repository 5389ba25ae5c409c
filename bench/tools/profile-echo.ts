// Profiles an echo server of bench/servers/ under the load client: builds lib/ and the servers
// with tsc into dist/ (so the profile has real line numbers, not tsx's), runs the server pinned
// to the server core with `node --cpu-prof`, drives it with loadgen (or the Node client) pinned
// to the other core, then prints the top self-time entries (bench/tools/cpuprofile-top.ts).
//
//   node --import tsx bench/tools/profile-echo.ts [copas|plain] [CONNS=50] [SECONDS=8]
//
// The .cpuprofile stays in the temp directory (path printed), for a flame graph in Chrome
// DevTools or speedscope.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadClient } from "../load.js";
import { Child, FD_LIMIT, pinned, ROOT, SERVER_CORE, withFdLimit } from "../proc.js";
import { summarise } from "./cpuprofile-top.js";

const [which = "copas", connsArg = "50", secondsArg = "8"] = process.argv.slice(2);
if (which !== "copas" && which !== "plain") throw new Error("profile-echo: server must be copas or plain");
const conns = Number(connsArg);
const seconds = Number(secondsArg);

const tsc = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", path.join("bench", "tsconfig.profile.json")], {
  cwd: ROOT,
  stdio: "inherit",
});
if (tsc.status !== 0) throw new Error("profile-echo: tsc failed");

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "copas-profile-"));
const file = path.join("dist", "bench", "servers", `${which}-echo.js`);
const [cmd, args] = withFdLimit(FD_LIMIT, ...pinned(SERVER_CORE, process.execPath, ["--cpu-prof", `--cpu-prof-dir=${dir}`, file]));
const t0 = performance.now();
const server = new Child(file, cmd, args, { PORT: "0" });
const port = Number(await server.out.expect("listening", file));
// Start-up (loading, compiling) is left out of the summary: it ends before the load starts.
const skip = (performance.now() - t0) / 1000;
const r = await loadClient().run(port, conns, seconds, 1);
// Closing stdin makes the server exit normally, which writes the profile.
server.proc.stdin!.end();
await server.exited;
console.log(`${which} echo, ${conns} connections, ${seconds} s: ${Math.round(r.msgsPerSec)} msgs/s, p99 ${Math.round(r.p99us)} us, errors ${r.errors}`);
// The main thread's profile is the one numbered .0. (others are helper threads, if any).
const profiles = fs.readdirSync(dir).filter((f) => f.endsWith(".cpuprofile")).sort();
const main = profiles.find((f) => /\.0\.\d+\.cpuprofile$/.test(f)) ?? profiles[0];
if (main === undefined) throw new Error(`profile-echo: no profile written in ${dir}`);
console.log(`profile: ${path.join(dir, main)}\n`);
console.log(summarise(path.join(dir, main), 25, skip));
