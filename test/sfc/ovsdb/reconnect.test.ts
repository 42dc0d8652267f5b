import {
  Bridge,
  Interface,
  OvsdbNotConnectedError,
  Port,
  Transaction,
  type AnyTableModel,
  type OvsdbClient,
  type Vswitch,
} from '../../../sfc/ovsdb/index.js';
import { waitFor } from '../../support/command.js';
import type { OvsInstance } from '../../support/ovs.js';
import { OvsdbServerProcess } from '../../support/ovsdb-server.js';
import { capturingLogger, comparable, nextEvent, rowsFromVsctl, sleep, TestSwitch } from './support.js';

const MODELS: AnyTableModel[] = [Bridge, Port, Interface];

describe('an OVSDB client living through ovsdb-server restarts', () => {
  let testSwitch: TestSwitch | undefined;
  let ovs: OvsInstance;
  let server: OvsdbServerProcess;
  let client: OvsdbClient;
  let vswitch: Vswitch;

  beforeAll(async () => {
    testSwitch = await TestSwitch.start('ovsdb-rc', 'br-rc', { reconnect: { initialMs: 50, maxMs: 400 } });
    ({ ovs, client, vswitch } = testSwitch);
    server = new OvsdbServerProcess(ovs);
    for (const name of ['p1', 'p2', 'p3', 'p4']) await ovs.vsctl('add-port', 'br-rc', name, '--', 'set', 'Interface', name, 'type=internal');
  });
  afterAll(async () => {
    try {
      server?.resume();
    } catch {
      // not running
    }
    await testSwitch?.stop();
  });

  function switchUnderTest(): TestSwitch {
    if (!testSwitch) throw new Error('no test switch');
    return testSwitch;
  }

  /** Whether the cache holds exactly the server's rows, as ovs-vsctl and a fresh select through our client see them. */
  async function cacheEqualsServer(): Promise<true | undefined> {
    const selection = new Transaction();
    const selected = MODELS.map((model) => selection.select(model, []));
    const outcome = await client.transact(selection);
    for (const [index, model] of MODELS.entries()) {
      const cached = JSON.stringify(comparable(client.cache.rows(model)));
      if (cached !== JSON.stringify(comparable(await rowsFromVsctl(ovs, model)))) return undefined;
      if (cached !== JSON.stringify(comparable(outcome.get(selected[index] as (typeof selected)[number])))) return undefined;
    }
    return true;
  }

  it('reconnects after SIGKILL and a restart, and resynchronizes: rows deleted meanwhile are gone, new ones are there', async () => {
    await client.waitFor('ofports for every port', () => (['p1', 'p2', 'p3', 'p4'].every((name) => (vswitch.interface(name)?.ofport ?? 0) > 0) ? true : undefined), 10000);
    const bridge = vswitch.bridge('br-rc');
    const p2 = vswitch.port('p2');
    const p2Interface = vswitch.interface('p2');
    if (!bridge || !p2 || !p2Interface) throw new Error('the setup did not produce br-rc with p2');

    const disconnected = nextEvent(client, 'disconnected', 5000);
    await server.kill();
    expect(['closed-by-server', 'socket-error']).toContain((await disconnected).kind);
    expect(client.state).toBe('connecting');
    await expect(client.listDbs()).rejects.toBeInstanceOf(OvsdbNotConnectedError);

    // While the server is down: p2 leaves the bridge (and so the database), p3 gets a new external id.
    await server.transactOffline([
      { op: 'mutate', table: 'Bridge', where: [['_uuid', '==', ['uuid', bridge._uuid]]], mutations: [['ports', 'delete', ['uuid', p2._uuid]]] },
      { op: 'mutate', table: 'Port', where: [['name', '==', 'p3']], mutations: [['external_ids', 'insert', ['map', [['changed', 'offline']]]]] },
    ]);
    expect(vswitch.port('p2')).toBeDefined();

    const reconnected = nextEvent(client, 'connected', 10000);
    await server.start();
    // Another writer, right after the restart: before or after our client is back, the cache must show it.
    await ovs.vsctl('--no-wait', 'add-port', 'br-rc', 'p5', '--', 'set', 'Interface', 'p5', 'type=internal');
    expect(await reconnected).toEqual({ remote: ovs.ovsdbRemote, reconnected: true });

    await waitFor('the cache to equal the server', cacheEqualsServer, 5000);
    expect(vswitch.port('p2')).toBeUndefined();
    expect(client.cache.get(Interface, p2Interface._uuid)).toBeUndefined();
    expect(vswitch.bridge('br-rc')?.ports).not.toContain(p2._uuid);
    expect(vswitch.port('p3')?.external_ids.get('changed')).toBe('offline');
    expect(vswitch.port('p5')).toBeDefined();

    // The monitor is live again, and requests work.
    await ovs.vsctl('--no-wait', 'add-port', 'br-rc', 'p6', '--', 'set', 'Interface', 'p6', 'type=internal');
    await client.waitFor('p6 through the re-established monitor', () => vswitch.port('p6'), 1000);
    expect((await client.listDbs()).sort()).toEqual(['Open_vSwitch', '_Server']);
  });

  it('treats an unanswered echo as a dead connection (server stopped with SIGSTOP), and reconnects once it answers again', async () => {
    const watchful = await switchUnderTest().connect({ keepaliveIntervalMs: 200, reconnect: { initialMs: 50, maxMs: 200 } });
    try {
      await watchful.monitor([Port]);
      const disconnected = nextEvent(watchful, 'disconnected', 3000);
      const reconnected = nextEvent(watchful, 'connected', 10000);
      const stoppedAt = performance.now();
      server.pause();
      try {
        expect(await disconnected).toEqual({ kind: 'keepalive-timeout', intervalMs: 200 });
        // Silent for one interval, then an echo unanswered for another: between 200 and 600 ms.
        expect(performance.now() - stoppedAt).toBeLessThan(1000);
      } finally {
        server.resume();
      }
      expect(await reconnected).toMatchObject({ reconnected: true });
      expect(watchful.cache.rows(Port).map((port) => port.name).sort()).toEqual(client.cache.rows(Port).map((port) => port.name).sort());
    } finally {
      await watchful.close();
    }
  });

  it('backs off exponentially (bounded) while the server stays down, and close() then leaves no timer behind', async () => {
    const timersBefore = process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    const { logger, lines } = capturingLogger();
    const patient = await switchUnderTest().connect({ logger, reconnect: { initialMs: 20, maxMs: 160 } });
    const disconnected = nextEvent(patient, 'disconnected', 5000);
    await server.kill();
    await disconnected;
    await sleep(1200);
    expect(patient.state).toBe('connecting');
    await patient.close();
    expect(patient.state).toBe('closed');
    expect(process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length).toBe(timersBefore);

    const attempts = lines.filter((line) => String(line['msg']).startsWith('OVSDB connection attempt failed')).map((line) => Date.parse(String(line['time'])));
    const gaps = attempts.slice(1).map((time, index) => time - (attempts[index] as number));
    // 20, 40, 80, then 160 ms at most: about ten attempts in 1.2 s, not the sixty of a fixed 20 ms.
    expect(attempts.length).toBeGreaterThanOrEqual(5);
    expect(attempts.length).toBeLessThanOrEqual(15);
    expect(gaps[0]).toBeLessThan(100);
    expect(Math.max(...gaps.slice(-3))).toBeGreaterThanOrEqual(150);
    expect(Math.max(...gaps)).toBeLessThan(160 + 500);
    expect(lines.find((line) => String(line['msg']).startsWith('OVSDB connection attempt failed'))).toMatchObject({
      level: 40,
      reason: { kind: 'socket-error', code: 'ECONNREFUSED' },
    });

    await server.start();
    await client.waitUntilConnected(10000);
  });
});
