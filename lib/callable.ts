// The default export is callable, as Lua's copas module is: `copas(...)` is `copas.loop(...)`.
//
// A dispatcher is a plain class instance. A function object carrying the dispatcher's dozens of
// private fields would sit in V8's dictionary mode (no in-object slots for them), and every
// field access on the hot path would become a slow lookup: that halved the scheduler's speed.
// So the callable is a thin function in front of a plain dispatcher: its prototype (which
// inherits from Copas.prototype, so `instanceof Copas` holds) forwards every method and
// accessor of the class, and every own property of the instance, to that dispatcher. The
// dispatcher behind a front can be changed (`retarget`): a test points the default export at
// a simulated world for a while.

import { Copas } from "./copas.js";

/** A dispatcher that can be called: `copas(...)` is `copas.loop(...)`. */
export type CallableCopas = Copas & ((init?: Parameters<Copas["loop"]>[0], timeout?: number | null) => Promise<void>);

/** The dispatcher behind a front. */
interface Box {
  c: Copas;
}

const boxes = new WeakMap<object, Box>();

function forward(to: object, key: PropertyKey, d: PropertyDescriptor, box: Box): void {
  const fn = d.value as ((...a: unknown[]) => unknown) | undefined;
  if (typeof fn === "function") {
    Object.defineProperty(to, key, {
      value: (...a: unknown[]) => fn.apply(box.c, a),
      writable: true,
      configurable: true,
    });
    return;
  }
  // Accessors of the class, called on the dispatcher in the box (never detached from it).
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const get = d.get as ((this: unknown) => unknown) | undefined;
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const set = d.set as ((this: unknown, v: unknown) => void) | undefined;
  Object.defineProperty(to, key, {
    get: get && (() => get.call(box.c)),
    set: set && ((v: unknown) => set.call(box.c, v)),
    configurable: true,
  });
}

/** Reads and writes an own property of the dispatcher (a field such as `socket`) through the front. */
function passThrough(to: object, key: PropertyKey, box: Box): void {
  Object.defineProperty(to, key, {
    get: () => (box.c as unknown as Record<PropertyKey, unknown>)[key],
    set: (v: unknown) => {
      (box.c as unknown as Record<PropertyKey, unknown>)[key] = v;
    },
    configurable: true,
  });
}

/** Makes a callable front for `inner`; everything done through it is done by `inner`. */
export function makeCallable(inner: Copas): CallableCopas {
  const box: Box = { c: inner };
  const proto = Object.create(Copas.prototype) as object;
  for (let p: object | null = Copas.prototype; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
    for (const key of Reflect.ownKeys(p)) {
      if (key === "constructor" || Object.prototype.hasOwnProperty.call(proto, key)) continue;
      forward(proto, key, Object.getOwnPropertyDescriptor(p, key)!, box);
    }
  }
  for (const key of Reflect.ownKeys(inner)) {
    if (!Object.prototype.hasOwnProperty.call(proto, key)) passThrough(proto, key, box);
  }
  const f = (...args: Parameters<Copas["loop"]>) => box.c.loop(...args);
  Object.setPrototypeOf(f, proto);
  boxes.set(f, box);
  return f as unknown as CallableCopas;
}

/** @internal points the front `front` at the dispatcher `inner`; gives the one it pointed at. */
export function retarget(front: CallableCopas, inner: Copas): Copas {
  const box = boxes.get(front);
  if (box === undefined) throw new TypeError("retarget: bad argument 'front' (expected a front made by makeCallable)");
  if (!(inner instanceof Copas)) throw new TypeError("retarget: bad argument 'inner' (expected a Copas)");
  const old = box.c;
  box.c = inner;
  return old;
}
