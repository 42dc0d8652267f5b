/** What the OVSDB suites share: clients with test settings, captured logs, events with deadlines, server rows. */
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../../platform/index.js';
import {
  OvsdbClient,
  Vswitch,
  type AnyTableModel,
  type Columns,
  type JsonObject,
  type OvsdbClientEvents,
  type OvsdbClientOptions,
  type Row,
} from '../../../sfc/ovsdb/index.js';
import { OvsInstance } from '../../support/ovs.js';

export function testLogger(): Logger {
  return createLogger((process.env.NFV_LOG_LEVEL as 'silent' | undefined) ?? 'silent');
}

/** A logger whose JSON lines are kept, to check what was logged and why. */
export function capturingLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: createLogger('debug', destination), lines };
}

export function connectClient(remote: string, options: Partial<OvsdbClientOptions> = {}): Promise<OvsdbClient> {
  return OvsdbClient.connect({ remote, logger: testLogger(), reconnect: { initialMs: 50, maxMs: 500 }, ...options }, 10000);
}

/**
 * A private Open vSwitch (with a bridge made by ovs-vsctl, when named) and our client on it, the Open_vSwitch
 * tables monitored. `stop` closes every client it made and stops the switch, whatever state they are in.
 */
export class TestSwitch {
  private readonly others: OvsdbClient[] = [];

  private constructor(
    readonly ovs: OvsInstance,
    readonly client: OvsdbClient,
    readonly vswitch: Vswitch,
  ) {}

  static async start(label: string, bridge?: string, options: Partial<OvsdbClientOptions> = {}): Promise<TestSwitch> {
    const ovs = await OvsInstance.start(label);
    let client: OvsdbClient | undefined;
    try {
      if (bridge) await ovs.addBridge(bridge);
      client = await connectClient(ovs.ovsdbRemote, options);
      return new TestSwitch(ovs, client, await Vswitch.open(client));
    } catch (error) {
      await client?.close();
      await ovs.stop();
      throw error;
    }
  }

  /** Another client of the same server (unix socket unless told), closed by `stop`. */
  async connect(options: Partial<OvsdbClientOptions> = {}, remote = this.ovs.ovsdbRemote): Promise<OvsdbClient> {
    const client = await connectClient(remote, options);
    this.others.push(client);
    return client;
  }

  async stop(): Promise<void> {
    for (const client of [...this.others, this.client]) await client.close();
    await this.ovs.stop();
  }
}

/** The next `event` of the client, or an error after `timeoutMs`. */
export function nextEvent<K extends keyof OvsdbClientEvents>(client: OvsdbClient, event: K, timeoutMs: number): Promise<OvsdbClientEvents[K][0]> {
  return new Promise((resolve, reject) => {
    const listener = (value: OvsdbClientEvents[K][0]): void => {
      clearTimeout(timer);
      resolve(value);
    };
    const timer = setTimeout(() => {
      (client.off as (event: K, listener: (value: OvsdbClientEvents[K][0]) => void) => OvsdbClient)(event, listener);
      reject(new Error(`no "${event}" event within ${timeoutMs} ms`));
    }, timeoutMs);
    (client.once as (event: K, listener: (value: OvsdbClientEvents[K][0]) => void) => OvsdbClient)(event, listener);
  });
}

/** The rows of a table as `ovs-vsctl --format=json list` prints them, decoded with our table model. */
export async function rowsFromVsctl(ovs: OvsInstance, table: AnyTableModel): Promise<Row<Columns>[]> {
  const columns = ['_uuid', ...table.columnNames];
  const output = JSON.parse(await ovs.vsctl('--format=json', `--columns=${columns.join(',')}`, 'list', table.name)) as {
    headings: string[];
    data: JsonObject[keyof JsonObject][][];
  };
  return output.data.map((values) => {
    const wire = Object.fromEntries(output.headings.map((heading, index) => [heading, values[index] ?? null])) as JsonObject;
    const uuid = wire['_uuid'] as ['uuid', string];
    return table.rowFromWire(uuid[1], wire);
  });
}

/** Rows in a form `toEqual` compares as OVSDB does: sets and maps without order, rows by UUID. */
export function comparable(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  const normalize = (value: unknown): unknown => {
    if (value instanceof Map) return [...value.entries()].map(([k, v]) => `${String(k)}=${String(v)}`).sort();
    if (Array.isArray(value)) return [...value].map(String).sort();
    return value;
  };
  return [...rows]
    .map((row) => Object.fromEntries(Object.entries(row).map(([name, value]) => [name, normalize(value)])))
    .sort((a, b) => String(a['_uuid']).localeCompare(String(b['_uuid'])));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
