import type { Scenario } from "./scenario.js";
export function randomScenario(seed: number): Scenario {
  return { name: `random/${seed}`, steps: [] };
}
