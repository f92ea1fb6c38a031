import net from 'node:net';
import type http from 'node:http';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { closeServer, listen } from '../../services/shared/http-server.ts';

// Shutdown of the services' HTTP servers, on real sockets, with clients that
// keep their keep-alive connections busy the way OTLP exporters under load do.

const servers: http.Server[] = [];

afterEach(() => {
  for (const server of servers.splice(0)) server.closeAllConnections();
});

async function startServer(handler: http.RequestListener): Promise<{ server: http.Server; url: string }> {
  const server = await listen(handler, '127.0.0.1', 0);
  servers.push(server);
  return { server, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` };
}

function refusesConnections(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(Number(new URL(url).port), '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('closeServer', () => {
  it('finishes while clients keep sending on keep-alive connections', async () => {
    const { server, url } = await startServer((request, response) => {
      request.resume();
      request.on('end', () => setTimeout(() => response.end('ok'), 5));
    });
    let stopping = false;
    const statuses: number[] = [];
    // Each client sends its next request as soon as the last one gets its
    // response, so its connection is never idle for long.
    const client = async (): Promise<void> => {
      while (!stopping) {
        try {
          const response = await fetch(url, { method: 'POST', body: 'span' });
          await response.text();
          statuses.push(response.status);
        } catch {
          // Refused once the server has closed; the loop ends soon after.
          await sleep(20);
        }
      }
    };
    const clients = Array.from({ length: 10 }, client);
    await sleep(200);
    const answeredBeforeClose = statuses.length;

    // The grace period is far longer than the test's timeout, so only
    // connections closing on their own let this finish in time.
    await closeServer(server, 60_000);
    stopping = true;
    await Promise.all(clients);

    expect(answeredBeforeClose).toBeGreaterThan(0);
    expect(statuses.every((status) => status === 200)).toBe(true);
    expect(await refusesConnections(url)).toBe(true);
  });

  it('answers a request that is in flight when closing starts', async () => {
    let release = (): void => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    const { server, url } = await startServer((request, response) => {
      request.resume();
      void released.then(() => response.end('done'));
    });
    const inFlight = fetch(url, { method: 'POST', body: 'span' });
    await sleep(50);

    const closed = closeServer(server, 60_000);
    release();
    const response = await inFlight;

    expect(response.status).toBe(200);
    expect(response.headers.get('connection')).toBe('close');
    expect(await response.text()).toBe('done');
    await closed;
  });

  it('cuts a request still unanswered after the grace period', async () => {
    const { server, url } = await startServer((request) => {
      request.resume();
    });
    const inFlight = fetch(url, { method: 'POST', body: 'span' }).then(
      () => 'answered',
      () => 'cut',
    );
    await sleep(50);

    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(line) });

    await closeServer(server, 200, logger);

    expect(await inFlight).toBe('cut');
    expect(lines.map((line) => JSON.parse(line) as Record<string, unknown>)).toMatchObject([
      { level: 40, requestsInFlight: 1, graceMs: 200, msg: 'shutdown grace period over; cutting open connections' },
    ]);
  });
});
