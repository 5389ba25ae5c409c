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

/** A UDP echo handler (as Copas's udptimeout test): each datagram back to its sender, until closed. */
export function udpEcho(copas: Copas) {
  return function* (skt: AnySocket) {
    const w = copas.wrap(skt);
    for (;;) {
      const [data, ip, port] = yield* w.receivefrom();
      if (data === null) return;
      w.sendto(data, ip, port);
    }
  };
}
