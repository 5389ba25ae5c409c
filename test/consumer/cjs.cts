// The same package from CommonJS: require() of an ES module (Node 20.19+, TypeScript 5.8+ with
// module NodeNext). Compiled and run by run.mjs next to main.ts.
import copasModule = require("copas");
import simModule = require("copas/sim");
import socketModule = require("copas/socket");

const { default: copas, Copas } = copasModule;
const clock = new simModule.ManualClock();
clock.autoAdvance = true; // pause(1) takes no real time
const d = new Copas({ clock });
if (typeof copas !== "function" || !(copas instanceof Copas)) throw new Error("require('copas').default is not the callable dispatcher");
// "copas/socket" and "copas" export the same LuaSocket layer (the default world's: it follows setDefaultWorld).
if (socketModule.default.tcp !== copasModule.socket.tcp) throw new Error("copas/socket differs from the socket of copas");
let ran = false;
d.addthread(function* () {
  yield* d.pause(1);
  ran = true;
});
d.loop().then(() => {
  if (!ran) throw new Error("thread did not run");
  console.log("consumer cjs ok");
}, (e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
