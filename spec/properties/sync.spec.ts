// Properties of the sync modules' arguments (see harness.ts).

import { property, optCount, optSeconds, optStr, isFn, optFn, isNil, isNum, any, tuple, type Case } from "./harness.js";
import type { Lock, Semaphore, Queue, Timer } from "copas";

const cases: Case[] = [
  // lock
  { name: "lock.new", arg: "timeout", valid: optSeconds, call: (w, v) => w.copas.lock.new(v as never) },
  { name: "lock.new", arg: "notReentrant", valid: any, call: (w, v) => w.copas.lock.new(1, v as never) },
  {
    name: "lock.get",
    arg: "timeout",
    valid: optSeconds,
    prepare: (w) => w.copas.lock.new(),
    call: (_w, v, l: Lock) => l.get(v as never),
    result: (r) => Array.isArray(r) && r.length === 3,
  },
  // semaphore
  { name: "semaphore.new", arg: "max", valid: (v) => isNum(v) && v >= 1, call: (w, v) => w.copas.semaphore.new(v as never) },
  { name: "semaphore.new", arg: "start", valid: (v) => optCount(v) && (isNil(v) || (v as number) <= 10), call: (w, v) => w.copas.semaphore.new(10, v as never) },
  { name: "semaphore.new", arg: "timeout", valid: optSeconds, call: (w, v) => w.copas.semaphore.new(10, 0, v as never) },
  {
    name: "semaphore.take",
    arg: "n",
    valid: optCount,
    prepare: (w) => w.copas.semaphore.new(10, 5, 0),
    fresh: true,
    call: (_w, v, s: Semaphore) => s.take(v as never),
    result: tuple,
  },
  {
    name: "semaphore.take",
    arg: "timeout",
    valid: optSeconds,
    prepare: (w) => w.copas.semaphore.new(10, 0),
    call: (_w, v, s: Semaphore) => s.take(1, v as never),
    result: tuple,
  },
  {
    name: "semaphore.give",
    arg: "n",
    valid: optCount,
    prepare: (w) => w.copas.semaphore.new(10, 0),
    fresh: true,
    call: (_w, v, s: Semaphore) => s.give(v as never),
    result: tuple,
  },
  // queue
  { name: "queue.new", arg: "opts", valid: (v) => isNil(v) || (typeof v === "object" && !Array.isArray(v) && optStr((v as { name?: unknown }).name)), call: (w, v) => w.copas.queue.new(v as never) },
  { name: "queue.new", arg: "opts.name", valid: optStr, call: (w, v) => w.copas.queue.new({ name: v as never }) },
  { name: "queue.push", arg: "item", valid: any, prepare: (w) => w.copas.queue.new(), call: (_w, v, q: Queue) => q.push(v), result: tuple },
  { name: "queue.pop", arg: "timeout", valid: optSeconds, prepare: (w) => w.copas.queue.new(), call: (_w, v, q: Queue) => q.pop(v as never), result: tuple },
  { name: "queue.finish", arg: "timeout", valid: optSeconds, prepare: (w) => w.copas.queue.new(), fresh: true, call: (_w, v, q: Queue) => q.finish(v as never), result: tuple },
  { name: "queue.finish", arg: "noDestroyOnTimeout", valid: any, prepare: (w) => w.copas.queue.new(), fresh: true, call: (_w, v, q: Queue) => q.finish(1, v as never), result: tuple },
  { name: "queue.add_worker", arg: "worker", valid: isFn, prepare: (w) => w.copas.queue.new(), fresh: true, call: (_w, v, q: Queue) => q.add_worker(v as never), result: tuple },
  // future
  { name: "future.addthread", arg: "fn", valid: isFn, call: (w, v) => (w.copas.future.addthread as (f: unknown) => unknown)(v) },
  { name: "future.addnamedthread", arg: "name", valid: optStr, call: (w, v) => w.copas.future.addnamedthread(v as never, function* () {}) },
  // timer
  { name: "timer.new", arg: "opts", valid: () => false, call: (w, v) => w.copas.timer.new(v as never) },
  { name: "timer.new", arg: "opts.delay", valid: (v) => isNum(v) && v >= 0, call: (w, v) => w.copas.timer.new({ delay: v as never, callback: () => {} }).cancel() },
  { name: "timer.new", arg: "opts.initial_delay", valid: optSeconds, call: (w, v) => w.copas.timer.new({ delay: 1, initial_delay: v as never, callback: () => {} }).cancel() },
  { name: "timer.new", arg: "opts.callback", valid: isFn, call: (w, v) => w.copas.timer.new({ delay: 1, callback: v as never }).cancel() },
  { name: "timer.new", arg: "opts.name", valid: optStr, call: (w, v) => w.copas.timer.new({ delay: 1, name: v as never, callback: () => {} }).cancel() },
  { name: "timer.new", arg: "opts.errorhandler", valid: optFn, call: (w, v) => w.copas.timer.new({ delay: 1, errorhandler: v as never, callback: () => {} }).cancel() },
  { name: "timer.new", arg: "opts.recurring", valid: any, call: (w, v) => w.copas.timer.new({ delay: 1, recurring: v as never, callback: () => {} }).cancel() },
  {
    name: "timer.arm",
    arg: "initialDelay",
    valid: optSeconds,
    prepare: (w) => {
      const t = w.copas.timer.new({ delay: 1, callback: () => {} });
      t.cancel();
      return t;
    },
    call: (_w, v, t: Timer) => {
      const r = t.arm(v as never);
      t.cancel();
      return r;
    },
    result: tuple,
  },
];

describe("properties: sync modules' bad arguments", function () {
  this.timeout(60000);
  for (const c of cases) property(c);
});
