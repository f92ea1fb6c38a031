import http from 'node:http';
import type { RequestListener } from 'node:http';

export interface RunningService {
  /** The port the service listens on; 0 for a service without one. */
  port: number;
  stop(): Promise<void>;
}

export function listen(app: RequestListener, host: string, port: number): Promise<http.Server> {
  const server = http.createServer(app);
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

/** Stops accepting connections, lets requests in flight finish, and closes idle keep-alive sockets. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeIdleConnections();
  });
}
