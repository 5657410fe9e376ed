// A delay relay: a TCP proxy that holds every chunk it reads for half a
// round-trip time before writing it on, in each direction, and limits
// nothing else. It puts a distance between a browser and a server on one
// machine, where this kernel has no netem qdisc (bandwidth is limited with
// htb in a network namespace instead: netns.mjs). Each chunk is stamped
// when it is read and written when its time comes, in order, so the relay
// adds the delay and no queue of its own: a full round trip through it takes
// `rttMs` plus about a millisecond of timers.
//
// In a test or benchmark:
//   const relay = await startRelay({ to: server.url, rttMs: 100 });
//   ... open relay.url in the browser ...
//   await relay.close();
// By hand (the same for any TCP service, e.g. the MJPEG loop):
//   node relay.mjs --rtt-ms 200 --to http://127.0.0.1:8080/ [--listen 127.0.0.1:9000]

import { once } from "node:events";
import net from "node:net";
import { pathToFileURL } from "node:url";

/** Forwards what `from` reads to `to`, each chunk `delayMs` after it was
 * read; ends `to` once `from` has ended and everything is written. */
function forwardDelayed(from, to, delayMs) {
  const queue = []; // [due, chunk], oldest first
  let timer = null;
  let ended = false;
  const flush = () => {
    timer = null;
    const now = performance.now();
    while (queue.length && queue[0][0] <= now) to.write(queue.shift()[1]);
    if (queue.length) timer = setTimeout(flush, queue[0][0] - now);
    else if (ended) to.end();
  };
  from.on("data", (chunk) => {
    queue.push([performance.now() + delayMs, chunk]);
    if (!timer) timer = setTimeout(flush, delayMs);
  });
  from.on("end", () => {
    ended = true;
    if (!timer) flush();
  });
}

/**
 * Starts a relay listening on `listen` (host:port; a free loopback port by
 * default) that connects each client to `to` (a URL or host:port) and
 * delays each direction by `rttMs / 2`. Returns {port, url (the `to` URL
 * with the relay's host and port), connections(), close()}.
 */
export async function startRelay({ to, rttMs, listen = "127.0.0.1:0" }) {
  const target = to.includes("://") ? new URL(to) : new URL(`tcp://${to}`);
  const targetPort = Number(target.port || (target.protocol === "https:" ? 443 : 80));
  const oneWay = rttMs / 2;
  const sockets = new Set();
  let accepted = 0;
  const server = net.createServer((client) => {
    accepted += 1;
    const upstream = net.connect(targetPort, target.hostname);
    for (const socket of [client, upstream]) {
      socket.setNoDelay(true);
      sockets.add(socket);
      socket.on("close", () => sockets.delete(socket));
      // Either side failing ends both: as a path that broke would.
      socket.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    forwardDelayed(client, upstream, oneWay);
    forwardDelayed(upstream, client, oneWay);
  });
  const [host, port] = listen.split(/:(?=\d+$)/);
  server.listen(Number(port), host);
  await once(server, "listening");
  const address = server.address();
  const url = new URL(to.includes("://") ? to : `http://${to}/`);
  url.hostname = host;
  url.port = String(address.port);
  return {
    port: address.port,
    url: url.href,
    connections: () => accepted,
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { parseArgs } = await import("node:util");
  const { values } = parseArgs({
    options: {
      "rtt-ms": { type: "string" },
      to: { type: "string" },
      listen: { type: "string", default: "127.0.0.1:0" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || !values.to || values["rtt-ms"] === undefined) {
    console.log("usage: node relay.mjs --rtt-ms MS --to URL|HOST:PORT [--listen HOST:PORT]\n" +
      "Relays TCP connections to --to, delaying each direction by half of --rtt-ms.");
    process.exit(values.help ? 0 : 2);
  }
  const rttMs = Number(values["rtt-ms"]);
  if (!(rttMs >= 0)) {
    console.error(`error: --rtt-ms must be a number of milliseconds, got ${values["rtt-ms"]}`);
    process.exit(2);
  }
  const relay = await startRelay({ to: values.to, rttMs, listen: values.listen });
  console.log(`relaying ${relay.url} -> ${values.to} with ${rttMs} ms of round trip; Ctrl-C stops`);
  process.on("SIGINT", () => relay.close().then(() => process.exit(0)));
}
