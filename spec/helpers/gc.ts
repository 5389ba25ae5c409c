// A full garbage collection on demand, for tests that check what a dispatcher keeps alive.

import v8 from "node:v8";
import vm from "node:vm";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/** Collects garbage after the current job (WeakRefs stay alive until the job ends). */
export async function collect(): Promise<void> {
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
}
