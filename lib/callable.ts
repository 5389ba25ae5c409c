// The default export is callable, as Lua's copas module is: `copas(...)` is `copas.loop(...)`.
//
// A dispatcher is a plain class instance. A function object carrying the dispatcher's dozens of
// private fields would sit in V8's dictionary mode (no in-object slots for them), and every
// field access on the hot path would become a slow lookup: that halved the scheduler's speed.
// So the callable is a thin function in front of a plain dispatcher: its prototype (which
// inherits from Copas.prototype, so `instanceof Copas` holds) forwards every method and
// accessor of the class, and every own property of the instance, to that dispatcher.

import { Copas } from "./copas.js";

/** A dispatcher that can be called: `copas(...)` is `copas.loop(...)`. */
export type CallableCopas = Copas & ((init?: Parameters<Copas["loop"]>[0], timeout?: number | null) => Promise<void>);

function forward(to: object, key: PropertyKey, d: PropertyDescriptor, inner: Copas): void {
  const fn = d.value as ((...a: unknown[]) => unknown) | undefined;
  if (typeof fn === "function") {
    Object.defineProperty(to, key, {
      value: (...a: unknown[]) => fn.apply(inner, a),
      writable: true,
      configurable: true,
    });
    return;
  }
  const { get, set } = d;
  Object.defineProperty(to, key, {
    get: get && (() => get.call(inner)),
    set: set && ((v: unknown) => set.call(inner, v)),
    configurable: true,
  });
}

/** Reads and writes an own property of `inner` (a field such as `socket`) through the front. */
function passThrough(to: object, key: PropertyKey, inner: Copas): void {
  const target = inner as unknown as Record<PropertyKey, unknown>;
  Object.defineProperty(to, key, {
    get: () => target[key],
    set: (v: unknown) => {
      target[key] = v;
    },
    configurable: true,
  });
}

/** Makes a callable front for `inner`; everything done through it is done by `inner`. */
export function makeCallable(inner: Copas): CallableCopas {
  const proto = Object.create(Copas.prototype) as object;
  for (let p: object | null = Copas.prototype; p !== null && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const key of Reflect.ownKeys(p)) {
      if (key === "constructor" || Object.prototype.hasOwnProperty.call(proto, key)) continue;
      forward(proto, key, Object.getOwnPropertyDescriptor(p, key)!, inner);
    }
  }
  for (const key of Reflect.ownKeys(inner)) {
    if (!Object.prototype.hasOwnProperty.call(proto, key)) passThrough(proto, key, inner);
  }
  const f = (...args: Parameters<Copas["loop"]>) => inner.loop(...args);
  Object.setPrototypeOf(f, proto);
  return f as unknown as CallableCopas;
}
