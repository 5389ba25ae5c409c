// Shared set-up of the simulation specs: a dispatcher on a ManualClock and a SimNetwork.
import { Copas, type AnySocket } from "copas";
import { ManualClock, SimNetwork, type Latency } from "copas/sim";

export interface SimOptions {
  seed?: number;
  latency?: Latency;
  chunkSize?: number;
  /** clock.autoAdvance; default true. */
  auto?: boolean;
  trace?: boolean;
}

export function sim(o: SimOptions = {}): { clock: ManualClock; net: SimNetwork; copas: Copas } {
  const clock = new ManualClock();
  clock.autoAdvance = o.auto ?? true;
  const net = new SimNetwork({ clock, seed: o.seed ?? 0, latency: o.latency ?? 0, chunkSize: o.chunkSize ?? Infinity });
  const copas = new Copas({ network: net, trace: o.trace ?? false });
  return { clock, net, copas };
}

/** The seed's echo handler: a line in, the same line out, until "quit" or the end. */
export function echo(copas: Copas) {
  return function* (skt: AnySocket) {
    for (;;) {
      const [line] = yield* copas.receive(skt);
      if (line === null || line === "quit") break;
      yield* copas.send(skt, line + "\n");
    }
  };
}
