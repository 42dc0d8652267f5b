import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedNotification {
  body: Record<string, unknown>;
  authorization: string | undefined;
  /** The status this server answered. */
  status: number;
}

/**
 * A subscriber's notification endpoint on 127.0.0.1: answers the GET test with 204, records every POST, and
 * answers POSTs with 204 or, while `failing`, with 503.
 */
export class CallbackServer {
  readonly attempts: ReceivedNotification[] = [];
  failing = false;
  testStatus = 204;
  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(path = '/notifications'): Promise<CallbackServer> {
    let self: CallbackServer | undefined;
    const server = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.method === 'GET') {
          response.writeHead(self?.testStatus ?? 204).end();
          return;
        }
        const status = self?.failing ? 503 : 204;
        self?.attempts.push({
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
          authorization: request.headers.authorization,
          status,
        });
        response.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    self = new CallbackServer(server, `http://127.0.0.1:${port}${path}`);
    return self;
  }

  /** The notifications answered with 204. */
  get delivered(): Array<Record<string, unknown>> {
    return this.attempts.filter((attempt) => attempt.status === 204).map((attempt) => attempt.body);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
