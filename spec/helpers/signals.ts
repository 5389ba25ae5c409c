// Named one-shot signals between a copas thread and the test driving it: the thread calls
// `emit(name)` just before it waits; the test's `wait(name)` resolves after that (or at once
// if it already happened). A thread that emits and then waits within the same resume has
// parked itself before the test's continuation runs (promise reactions run afterwards).

export class Signals {
  #seen = new Set<string>();
  #waiting = new Map<string, (() => void)[]>();

  emit(name: string): void {
    this.#seen.add(name);
    const ws = this.#waiting.get(name);
    if (ws === undefined) return;
    this.#waiting.delete(name);
    for (const w of ws) w();
  }

  wait(name: string): Promise<void> {
    if (this.#seen.has(name)) return Promise.resolve();
    return new Promise((resolve) => {
      const ws = this.#waiting.get(name) ?? [];
      ws.push(resolve);
      this.#waiting.set(name, ws);
    });
  }
}
