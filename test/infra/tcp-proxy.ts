import net from 'node:net';

export interface TcpProxy {
  /** Port on 127.0.0.1 that forwards to the target. */
  port: number;
  /**
   * Makes the target unreachable: closes the listening socket, so new
   * connections are refused, and destroys every open connection, so requests
   * in flight fail the way they do when a server goes away.
   */
  cut(): Promise<void>;
  /** Listens again on the same port after cut(). */
  restore(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts a TCP proxy on 127.0.0.1 in front of `targetPort` on 127.0.0.1, for
 * fault tests that take a server away from one client while the test itself
 * keeps talking to the server directly.
 */
export async function startTcpProxy(targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    const closeBoth = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', closeBoth).on('close', closeBoth);
    upstream.on('error', closeBoth).on('close', closeBoth);
    client.pipe(upstream);
    upstream.pipe(client);
  });

  const listenOn = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve((server.address() as net.AddressInfo).port);
      });
    });
  const closeListener = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) {
        resolve();
        return;
      }
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    });

  const port = await listenOn(0);
  return {
    port,
    cut: closeListener,
    async restore() {
      await listenOn(port);
    },
    stop: closeListener,
  };
}
