import http from 'node:http';
import type { RequestListener } from 'node:http';
import type { Logger } from './logger.ts';

export interface RunningService {
  /** The port the service listens on; 0 for a service without one. */
  port: number;
  stop(): Promise<void>;
}

/** Responses not yet finished, per server, so that closing can mark them. */
const openResponses = new WeakMap<http.Server, Set<http.ServerResponse>>();
const closingServers = new WeakSet<http.Server>();

export function listen(app: RequestListener, host: string, port: number): Promise<http.Server> {
  const responses = new Set<http.ServerResponse>();
  const server = http.createServer((request, response) => {
    // close() only stops new connections. A client that keeps its keep-alive
    // connections busy would hold a closing server open for ever, so from
    // then on each response also closes its connection.
    if (closingServers.has(server)) response.setHeader('Connection', 'close');
    responses.add(response);
    response.once('close', () => {
      responses.delete(response);
      // A response whose headers went out before close() kept its connection
      // open; closing idle connections again then lets close() finish.
      if (closingServers.has(server)) setImmediate(() => server.closeIdleConnections());
    });
    app(request, response);
  });
  openResponses.set(server, responses);
  // OTLP exporters keep connections open; a short keep-alive lets shutdown finish.
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/**
 * Stops accepting connections, lets requests in flight finish, and closes
 * each connection once it is idle. Connections still open after `graceMs`
 * are cut, so a client that never finishes its request cannot stop shutdown.
 * Such a client gets no response and retries, and the dedup absorbs the copy.
 */
export function closeServer(server: http.Server, graceMs: number, logger?: Logger): Promise<void> {
  closingServers.add(server);
  // Requests already in flight close their connection with their response,
  // so that the client does not send another request on a connection that
  // is about to be closed under it.
  for (const response of openResponses.get(server) ?? []) {
    if (!response.headersSent) response.setHeader('Connection', 'close');
  }
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => {
      const inFlight = openResponses.get(server)?.size ?? 0;
      logger?.warn({ requestsInFlight: inFlight, graceMs }, 'shutdown grace period over; cutting open connections');
      server.closeAllConnections();
    }, graceMs);
    server.close((error) => {
      clearTimeout(deadline);
      if (error) reject(error);
      else resolve();
    });
    server.closeIdleConnections();
  });
}
