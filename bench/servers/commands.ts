// The stdin commands of the benchmark servers: "heap" and "conns".
import readline from "node:readline";

export function serveCommands(openConnections: () => number): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  const rl = readline.createInterface({ input: process.stdin });
  rl.on("line", (cmd) => {
    if (cmd === "heap") {
      if (gc) for (let i = 0; i < 3; i++) gc();
      console.log(`heap ${process.memoryUsage().heapUsed}`);
    } else if (cmd === "conns") console.log(`conns ${openConnections()}`);
  });
  rl.on("close", () => process.exit(0));
}
