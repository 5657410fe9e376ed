// A limited link on this machine, for the tests and benchmarks that need
// one: a network namespace of the run's own (`unshare --net`, root) whose
// loopback is shaped with tc. This kernel has the htb qdisc and the u32
// filter, not netem or prio, so an htb class limits what chosen server ports
// send, and everything else goes through an unlimited class.

import { execFileSync, spawnSync } from "node:child_process";

/** Why no shaped namespace can be made here (not root, no unshare, no tc),
 * or null when one can. */
export function whyNoNamespace() {
  const probe = spawnSync("unshare", ["--net", "tc", "qdisc", "show", "dev", "lo"], { encoding: "utf8" });
  if (!probe.error && probe.status === 0) return null;
  return (probe.error?.message ?? probe.stderr.trim()) || `exit ${probe.status}`;
}

/** Runs `script` with `args` again under `unshare --net`, with `env` added;
 * returns spawnSync's result. */
export function runInNamespace(script, args, env, options = {}) {
  return spawnSync("unshare", ["--net", process.execPath, script, ...args], {
    ...options,
    env: { ...process.env, ...env },
  });
}

/** Brings the namespace's loopback up with an htb root whose class 1:1 is
 * limited to `mbit`; `shapePort` sends a server's traffic through it. */
export function limitLink(mbit) {
  const tc = (...args) => execFileSync("tc", args, { stdio: ["ignore", "ignore", "pipe"] });
  execFileSync("ip", ["link", "set", "lo", "up"]);
  tc("qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10", "r2q", "1000");
  tc("class", "add", "dev", "lo", "parent", "1:", "classid", "1:1", "htb", "rate", `${mbit}mbit`, "ceil", `${mbit}mbit`);
  tc("class", "add", "dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate", "100gbit");
}

/** Sends what leaves TCP port `port` (a server's replies) through the
 * limited class. Packets under 256 bytes (the server's TCP acks of what a
 * producer uploads, among them) stay out of it, so that the producer's
 * direction is not slowed by waiting for acks queued behind the frames. */
export function shapePort(port) {
  const filter = (prio, flow, ...match) =>
    execFileSync("tc", ["filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", String(prio), "u32", "match", "ip", "sport", String(port), "0xffff", ...match, "flowid", flow]);
  // IP total length 0: a loopback "BIG TCP" packet of more than 64 KB.
  filter(1, "1:1", "match", "u16", "0", "0xffff", "at", "2");
  filter(2, "1:10", "match", "u16", "0", "0xff00", "at", "2"); // under 256 bytes
  filter(3, "1:1");
}

/** Sends what goes to TCP port `port` (what producers upload to a server)
 * through the limited class. */
export function shapeUploadsTo(port) {
  execFileSync("tc", ["filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1", "u32", "match", "ip", "dport", String(port), "0xffff", "flowid", "1:1"]);
}
