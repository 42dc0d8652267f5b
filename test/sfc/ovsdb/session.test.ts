import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import {
  Bridge,
  JsonObjectFramer,
  OvsdbClient,
  OvsdbConnectionLostError,
  OvsdbRemoteError,
  OvsdbTimeoutError,
  parseRemote,
  Transaction,
  type JsonObject,
} from '../../../sfc/ovsdb/index.js';
import { waitFor } from '../../support/command.js';
import { makeTempDir, removeTempDir } from '../../support/tmp.js';
import { capturingLogger, connectClient, nextEvent } from './support.js';

const SCHEMA = JSON.parse(fs.readFileSync('/usr/share/openvswitch/vswitch.ovsschema', 'utf8')) as JsonObject;

/**
 * A stand-in OVSDB server on a unix socket that answers what a client needs to connect (get_schema,
 * monitor_cond), records what it receives, and lets a test send any bytes or stay silent.
 */
class ScriptedServer {
  readonly connections: net.Socket[] = [];
  readonly received: JsonObject[] = [];
  private readonly server: net.Server;

  constructor(
    readonly socketPath: string,
    private readonly script: { answerEcho?: boolean; onRequest?: (message: JsonObject, socket: net.Socket) => boolean } = {},
  ) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  get remote(): string {
    return `unix:${this.socketPath}`;
  }

  get latest(): net.Socket {
    const socket = this.connections.at(-1);
    if (!socket) throw new Error('no connection yet');
    return socket;
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  async close(): Promise<void> {
    for (const socket of this.connections) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private accept(socket: net.Socket): void {
    this.connections.push(socket);
    const framer = new JsonObjectFramer();
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => {
      for (const message of framer.push(chunk).messages) {
        this.received.push(message);
        if (this.script.onRequest?.(message, socket)) continue;
        const answer = this.answer(message);
        if (answer !== undefined) socket.write(JSON.stringify({ id: message['id'], result: answer, error: null }));
      }
    });
  }

  private answer(message: JsonObject): JsonObject[keyof JsonObject] | undefined {
    switch (message['method']) {
      case 'get_schema':
        return SCHEMA;
      case 'monitor_cond':
        return {};
      case 'echo':
        return this.script.answerEcho === false ? undefined : message['params'];
      default:
        return message['id'] === undefined || message['method'] === undefined ? undefined : null;
    }
  }
}

describe('OVSDB sessions against a scripted server', () => {
  let dir: string;
  const servers: ScriptedServer[] = [];
  const clients: OvsdbClient[] = [];

  beforeAll(() => {
    dir = makeTempDir('ovsdb-session');
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) await client.close();
    for (const server of servers.splice(0)) await server.close();
  });
  afterAll(() => removeTempDir(dir));

  async function serve(script: ConstructorParameters<typeof ScriptedServer>[1] = {}): Promise<ScriptedServer> {
    const server = new ScriptedServer(path.join(dir, `db-${servers.length}-${Date.now()}.sock`), script);
    await server.listen();
    servers.push(server);
    return server;
  }

  async function connect(server: ScriptedServer, options: Parameters<typeof connectClient>[1] = {}): Promise<OvsdbClient> {
    const client = await connectClient(server.remote, { keepaliveIntervalMs: 0, ...options });
    clients.push(client);
    return client;
  }

  it("answers the server's echo requests with the same id and params, and refuses other requests", async () => {
    const server = await serve();
    await connect(server);
    server.latest.write('{"id":"echo","method":"echo","params":["ping",1]}{"id":9,"method":"steal","params":["lock"]}');
    await waitFor('both answers', () => (server.received.filter((message) => 'result' in message).length === 2 ? true : undefined), 2000);
    expect(server.received.filter((message) => 'result' in message)).toEqual([
      { id: 'echo', result: ['ping', 1], error: null },
      { id: 9, result: null, error: 'unknown method' },
    ]);
  });

  it('closes the connection on a byte stream that is not JSON objects, with a typed and logged reason, and reconnects', async () => {
    const server = await serve();
    const { logger, lines } = capturingLogger();
    const client = await connect(server, { logger });
    const disconnected = nextEvent(client, 'disconnected', 2000);
    const reconnected = nextEvent(client, 'connected', 5000);
    server.latest.write('HTTP/1.1 400 Bad Request\r\n\r\n');
    const reason = { kind: 'framing', fault: { kind: 'not-a-json-object', byte: 0x48 } };
    expect(await disconnected).toEqual(reason);
    expect(lines.find((line) => line['level'] === 40 && String(line['msg']).includes('connection lost'))).toMatchObject({
      reason,
      msg: 'OVSDB connection lost: unreadable byte stream: byte 0x48 where a JSON object should start',
    });
    expect(await reconnected).toMatchObject({ reconnected: true });
    expect(server.connections).toHaveLength(2);
  });

  it('closes the connection on a message over the configured maximum', async () => {
    const server = await serve();
    // Large enough for the schema (about 25 KB), which the client reads first.
    const client = await connect(server, { maxMessageBytes: 128 * 1024 });
    const disconnected = nextEvent(client, 'disconnected', 2000);
    server.latest.write(JSON.stringify({ id: null, method: 'update2', params: ['m1', { Bridge: { padding: 'x'.repeat(200 * 1024) } }] }));
    expect(await disconnected).toEqual({ kind: 'framing', fault: { kind: 'message-too-large', limitBytes: 128 * 1024 } });
  });

  it('closes the connection on JSON that is not JSON-RPC, and on a malformed monitor update', async () => {
    const server = await serve();
    const client = await connect(server);
    let disconnected = nextEvent(client, 'disconnected', 2000);
    server.latest.write('{"hello":"world"}');
    expect(await disconnected).toEqual({ kind: 'protocol', message: 'a message with neither "method" nor "id"' });

    await client.waitUntilConnected(5000);
    await client.monitor([Bridge]);
    disconnected = nextEvent(client, 'disconnected', 2000);
    server.latest.write(JSON.stringify({ id: null, method: 'update2', params: ['m1', { Bridge: { 'not-a-row': 7 } }] }));
    expect(await disconnected).toEqual({ kind: 'protocol', message: 'update2: updates of Bridge: not-a-row is not an object' });
  });

  it('ends a session whose echo goes unanswered (keepalive)', async () => {
    const server = await serve({ answerEcho: false });
    const client = await connect(server, { keepaliveIntervalMs: 100 });
    const started = performance.now();
    expect(await nextEvent(client, 'disconnected', 2000)).toEqual({ kind: 'keepalive-timeout', intervalMs: 100 });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(server.received.filter((message) => message['method'] === 'echo').length).toBeGreaterThanOrEqual(1);
  });

  it('times a request out when no reply comes, and fails pending requests when the connection drops', async () => {
    const server = await serve({
      answerEcho: false,
      onRequest: (message, socket) => {
        if (message['method'] !== 'transact') return false;
        socket.destroy();
        return true;
      },
    });
    const client = await connect(server, { requestTimeoutMs: 200 });
    const timedOut = await client.echo('hello').catch((error: unknown) => error);
    expect(timedOut).toBeInstanceOf(OvsdbTimeoutError);
    expect(timedOut).toMatchObject({ timeoutMs: 200 });

    const transaction = new Transaction();
    transaction.comment('the server hangs up on this');
    const lost = await client.transact(transaction).catch((error: unknown) => error);
    expect(lost).toBeInstanceOf(OvsdbConnectionLostError);
    expect(lost).toMatchObject({ method: 'transact', reason: { kind: 'closed-by-server' } });
  });

  it('close() stops connection attempts and backoff with no timer left behind', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const before = timers();
    const nowhere = new OvsdbClient({ remote: `unix:${path.join(dir, 'nobody-listens.sock')}`, logger: capturingLogger().logger, reconnect: { initialMs: 30, maxMs: 60 } });
    nowhere.start();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(nowhere.state).toBe('connecting');
    await nowhere.close();
    expect(timers()).toBe(before);

    const server = await serve();
    const connected = await connect(server, { keepaliveIntervalMs: 50 });
    const waiting = connected.waitFor('a row that never comes', () => undefined, 60000).catch((error: unknown) => error);
    await connected.close();
    expect(await waiting).toMatchObject({ message: 'the OVSDB client is not connected (closed)' });
    expect(timers()).toBe(before);
  });

  it('reads tcp: and unix: remotes and refuses the others', () => {
    expect(parseRemote('tcp:127.0.0.1:6641')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 6641 });
    expect(parseRemote('tcp:[::1]:6642')).toEqual({ kind: 'tcp', host: '::1', port: 6642 });
    expect(parseRemote('tcp:ovs.example')).toEqual({ kind: 'tcp', host: 'ovs.example', port: 6640 });
    expect(parseRemote('unix:/var/run/openvswitch/db.sock')).toEqual({ kind: 'unix', path: '/var/run/openvswitch/db.sock' });
    for (const remote of ['ssl:127.0.0.1:6640', 'ptcp:6640', 'tcp:127.0.0.1:0', 'tcp:127.0.0.1:70000', 'tcp:', 'unix:', '/run/db.sock']) {
      expect(() => parseRemote(remote)).toThrow(OvsdbRemoteError);
    }
    expect(() => new OvsdbClient({ remote: 'db.sock', logger: capturingLogger().logger })).toThrow('invalid OVSDB remote "db.sock"');
  });
});
