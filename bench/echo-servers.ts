// The echo servers the echo suites compare, behind one interface: copas and plain Node `net`
// (bench/servers/*.ts, stdin commands) and, when installed, Lua Copas 4.11 on Lua 5.4 and
// LuaJIT (bench/servers/copas-echo.lua on the shared oracle, a control port). Each runs pinned to
// the server core; its CPU time is read from /proc by the runner, not reported by the server.

import { spawnSync } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { Child, cpuSeconds, FD_LIMIT, findShared, LineReader, pinned, SERVER_CORE, startServer, withFdLimit } from "./proc.js";

export interface EchoServer {
  /** For the table: "copas", "node net", "Lua 5.4", "LuaJIT". */
  readonly name: string;
  readonly port: number;
  /** CPU seconds and lines echoed so far. CPU from /proc, else from the server (Node only), else null. */
  sample(): Promise<{ cpu: number | null; echoed: number }>;
  stop(): Promise<void>;
}

/**
 * A Node server of bench/servers/ (commands.ts protocol), pinned to the server core unless `core`
 * is null. `ownCpu`: take the CPU time the server reports (a cluster's primary sums its workers')
 * rather than its process's from /proc.
 */
export async function startNodeServer(
  name: string,
  file: string,
  opts: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; core?: number | null; ownCpu?: boolean } = {},
): Promise<EchoServer> {
  const { child, port } = await startServer(file, opts.nodeArgs ?? [], opts.env ?? {}, opts.core === undefined ? SERVER_CORE : opts.core);
  const pid = child.proc.pid!;
  return {
    name,
    port,
    async sample() {
      const [us, echoed] = (await child.ask("cpu", "cpu")).split(" ").map(Number) as [number, number];
      return { cpu: (opts.ownCpu ? null : cpuSeconds(pid)) ?? us / 1e6, echoed };
    },
    stop: () => child.stop(),
  };
}

export type LuaName = "lua5.4" | "luajit";

/** True when `lua` runs here with LuaSocket. */
function luaWorks(oracle: string, lua: LuaName): boolean {
  const r = spawnSync(oracle, [lua, "-e", 'require("socket"); require("copas")'], { encoding: "utf8", timeout: 10_000 });
  return r.status === 0;
}

/** The oracle's runner (../shared/oracle/lua-copas, or $COPAS_ORACLE), when it and `lua` work. */
export function luaAvailable(lua: LuaName): string | null {
  const oracle = findShared(path.join("oracle", "lua-copas"), "COPAS_ORACLE");
  return oracle !== null && luaWorks(oracle, lua) ? oracle : null;
}

/** Lua Copas 4.11's echo server (bench/servers/copas-echo.lua); null when Lua or LuaSocket is missing. */
export async function startLuaServer(lua: LuaName): Promise<EchoServer | null> {
  const oracle = luaAvailable(lua);
  if (oracle === null) return null;
  const [cmd, args] = withFdLimit(FD_LIMIT, ...pinned(SERVER_CORE, oracle, [lua, path.join("bench", "servers", "copas-echo.lua")]));
  const child = new Child(`${lua} copas-echo.lua`, cmd, args, { PORT: "0" });
  const [port, ctlPort] = (await child.out.expect("listening", child.name)).split(" ").map(Number) as [number, number];
  const ctl = net.connect({ host: "127.0.0.1", port: ctlPort });
  ctl.setNoDelay(true);
  const answers = new LineReader(ctl);
  const pid = child.proc.pid!;
  return {
    name: lua === "luajit" ? "LuaJIT" : "Lua 5.4",
    port,
    async sample() {
      ctl.write("n\n");
      const echoed = Number(await answers.next());
      return { cpu: cpuSeconds(pid), echoed };
    },
    async stop() {
      ctl.destroy();
      await child.stop();
    },
  };
}
