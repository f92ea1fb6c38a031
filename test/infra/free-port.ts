import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';

// Ports for servers that another process binds later (the Kafka broker, the
// ClickHouse engine). A port is released between the check here and the
// server's bind. Ports handed out by listen(0) come from the kernel's
// ephemeral range, which is also where outgoing connections take their
// source ports, so a busy machine could take one in between. Ports chosen
// below that range are only taken by a server that requests them by number.

const fallbackEphemeralStart = 32_768;
const lowestPort = 10_000;

function ephemeralRangeStart(): number {
  try {
    const [start] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/);
    const value = Number(start);
    return Number.isInteger(value) && value > lowestPort + 1_000 ? value : fallbackEphemeralStart;
  } catch {
    return fallbackEphemeralStart;
  }
}

function listenOn(server: Server, port: number): Promise<number | null> {
  return new Promise((resolvePort) => {
    server.once('error', () => resolvePort(null));
    server.listen(port, '127.0.0.1', () => resolvePort((server.address() as AddressInfo).port));
  });
}

/**
 * Returns `count` distinct TCP ports on 127.0.0.1 that were free a moment
 * ago, chosen at random below the kernel's ephemeral port range.
 */
export async function findFreePorts(count: number): Promise<number[]> {
  const end = ephemeralRangeStart();
  // All probes stay open until every port is known, so the ports differ.
  const probes: Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; ports.length < count && attempt < 200; attempt += 1) {
      const candidate = lowestPort + Math.floor(Math.random() * (end - lowestPort));
      const probe = createServer();
      const port = await listenOn(probe, candidate);
      if (port === null) continue;
      probes.push(probe);
      ports.push(port);
    }
  } finally {
    await Promise.all(probes.map((probe) => new Promise((closed) => probe.close(closed))));
  }
  if (ports.length < count) throw new Error(`no ${count} free ports found between ${lowestPort} and ${end} on 127.0.0.1`);
  return ports;
}
