import net from 'node:net';

/**
 * For tests of database outages on a real PostgreSQL: a local TCP hop to it that can be taken down — every open
 * connection closed, and each new one accepted and closed at once (node-postgres: "Connection terminated
 * unexpectedly", as when PostgreSQL restarts), counted — and brought back.
 */
export async function forwarder(host: string, port: number) {
  let down = false;
  let attemptsWhileDown = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (down) {
      attemptsWhileDown++;
      client.destroy();
      return;
    }
    const upstream = net.connect(port, host);
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    takeDown() {
      down = true;
      attemptsWhileDown = 0;
      for (const s of sockets) s.destroy();
    },
    bringUp() {
      down = false;
    },
    get attemptsWhileDown() {
      return attemptsWhileDown;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
