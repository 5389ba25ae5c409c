// Run by run.mjs as `npx copas runner.ts <name>` in the consumer project, with tsx installed:
// the default export runs in the runner's initializer thread.
import copas from "copas";

export default function* main(name: string) {
  yield* copas.pause(0.01);
  console.log(`runner ok ${name}`);
}
