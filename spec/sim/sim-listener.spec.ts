import { expect } from "chai";
import { SimListener } from "../../lib/sim/sim-listener.js";

describe("sim/sim-listener", () => {
  it("reports its address, knows wildcards, and tells its network once when closed", () => {
    const closed: SimListener[] = [];
    const l = new SimListener("10.0.0.1", 80, 5, () => {}, (x) => closed.push(x));
    expect(l.address()).to.deep.equal({ address: "10.0.0.1", port: 80, family: "IPv4" });
    expect(l.wildcard).to.equal(false);
    expect(new SimListener("::", 1, 1, () => {}, () => {}).address().family).to.equal("IPv6");
    expect(new SimListener("0.0.0.0", 1, 1, () => {}, () => {}).wildcard).to.equal(true);
    l.close();
    l.close();
    expect(closed).to.deep.equal([l]);
    expect(l.closed).to.equal(true);
  });
});
