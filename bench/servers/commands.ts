// The stdin commands of the benchmark servers: "heap", "conns" and "cpu" (`cpu <user+system
// CPU microseconds so far> <lines echoed so far>`, for CPU time per message).
import readline from "node:readline";

export function serveCommands(openConnections: () => number, echoed: () => number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  const rl = readline.createInterface({ input: process.stdin });
  rl.on("line", (cmd) => {
    if (cmd === "heap") {
      if (gc) for (let i = 0; i < 3; i++) gc();
      console.log(`heap ${process.memoryUsage().heapUsed}`);
    } else if (cmd === "conns") console.log(`conns ${openConnections()}`);
    else if (cmd === "cpu") {
      const u = process.cpuUsage();
      console.log(`cpu ${u.user + u.system} ${echoed()}`);
    }
  });
  rl.on("close", () => process.exit(0));
}
