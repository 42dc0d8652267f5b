/**
 * Our OVSDB client (RFC 7047, with the `monitor_cond` extension of ovsdb-server(7)). It keeps one session to
 * the server, reconnecting with exponential backoff when it drops; on every (re)connect it reads the schema,
 * checks the table models against it and sets the monitors up again, whose initial rows replace the cached
 * ones: after a reconnect the cache holds what the server holds, and rows deleted meanwhile are gone.
 * `connected` is emitted only then, so a listener may trust the cache from that moment on; while the client
 * is reconnecting, the cache keeps the rows it last had.
 *
 * The server sends the updates a transaction causes before its reply, so when `transact` resolves, the cache
 * already shows the transaction's own changes to monitored tables.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../../platform/index.js';
import { MonitorCache, type CacheUpdate, type OvsdbCache, type UpdateFormat } from './cache.js';
import {
  describeDisconnect,
  OvsdbNotConnectedError,
  OvsdbProtocolError,
  OvsdbRpcError,
  OvsdbSchemaMismatchError,
  OvsdbTimeoutError,
  OvsdbUsageError,
  type DisconnectReason,
} from './errors.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './framer.js';
import type { Json, JsonObject } from './jsonrpc.js';
import { parseRemote, remoteText, type OvsdbRemote } from './remote.js';
import { readSchema, schemaProblems, type DatabaseSchema } from './schema.js';
import { OvsdbSession, type SessionOptions } from './session.js';
import type { AnyTableModel, TableSelection } from './table.js';
import type { Transaction, TransactionOutcome } from './transaction.js';

export type MonitorMethod = 'monitor_cond' | 'monitor';

export interface OvsdbClientOptions {
  /** `tcp:HOST:PORT` or `unix:PATH`. */
  remote: string;
  logger: Logger;
  database?: string;
  /** `monitor_cond` (the default) receives diffs and takes conditions; `monitor` is plain RFC 7047. */
  monitorMethod?: MonitorMethod;
  /** A larger message from the server closes the connection. */
  maxMessageBytes?: number;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Quiet time after which we send an echo; an echo unanswered for as long ends the connection. 0: off. */
  keepaliveIntervalMs?: number;
  /** Delay before reconnecting: `initialMs`, doubled after each failed attempt up to `maxMs`. */
  reconnect?: { initialMs: number; maxMs: number };
}

export type ClientState = 'idle' | 'connecting' | 'connected' | 'closed';

export interface ConnectedEvent {
  remote: string;
  /** False the first time, true after a reconnect. */
  reconnected: boolean;
}

export interface OvsdbClientEvents {
  connected: [ConnectedEvent];
  disconnected: [DisconnectReason];
  'cache-updated': [CacheUpdate];
}

/** A table to monitor: all its rows, or (with `monitor_cond`) those `Table.where(...)` selects. */
export type WatchedTable = AnyTableModel | TableSelection;

interface ActiveMonitor {
  readonly id: string;
  readonly selections: readonly TableSelection[];
}

/** A monitor set up on the server; it is set up again after every reconnect until cancelled. */
export class Monitor {
  constructor(
    readonly id: string,
    readonly tables: readonly AnyTableModel[],
    private readonly client: OvsdbClient,
  ) {}

  /** `monitor_cancel`; the monitor's tables leave the cache. */
  cancel(): Promise<void> {
    return this.client.cancelMonitor(this.id);
  }
}

const DEFAULTS = {
  database: 'Open_vSwitch',
  monitorMethod: 'monitor_cond' as MonitorMethod,
  requestTimeoutMs: 30000,
  connectTimeoutMs: 5000,
  keepaliveIntervalMs: 5000,
  reconnect: { initialMs: 100, maxMs: 8000 },
};

export class OvsdbClient extends EventEmitter<OvsdbClientEvents> {
  readonly remote: OvsdbRemote;
  readonly database: string;
  private readonly log: Logger;
  private readonly monitorMethod: MonitorMethod;
  private readonly reconnect: { initialMs: number; maxMs: number };
  private readonly sessionOptions: SessionOptions;
  private readonly store = new MonitorCache();
  private readonly monitors = new Map<string, ActiveMonitor>();
  private readonly claimedTables = new Set<string>();
  private readonly waiters = new Set<(error: Error) => void>();
  private readonly stopping = new AbortController();
  private currentState: ClientState = 'idle';
  private session: OvsdbSession | undefined;
  private currentSchema: DatabaseSchema | undefined;
  private everConnected = false;
  private nextMonitorId = 1;
  private running: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;

  constructor(options: OvsdbClientOptions) {
    super();
    this.remote = parseRemote(options.remote);
    this.database = options.database ?? DEFAULTS.database;
    this.log = options.logger.child({ ovsdb: options.remote });
    this.monitorMethod = options.monitorMethod ?? DEFAULTS.monitorMethod;
    this.reconnect = options.reconnect ?? DEFAULTS.reconnect;
    this.sessionOptions = {
      maxMessageBytes: options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      keepaliveIntervalMs: options.keepaliveIntervalMs ?? DEFAULTS.keepaliveIntervalMs,
      onNotification: (method, params) => this.notified(method, params),
    };
  }

  /** Starts the client and waits until it is connected; on timeout it is closed again. */
  static async connect(options: OvsdbClientOptions, timeoutMs = 10000): Promise<OvsdbClient> {
    const client = new OvsdbClient(options);
    client.start();
    try {
      await client.waitUntilConnected(timeoutMs);
      return client;
    } catch (error) {
      await client.close();
      throw error;
    }
  }

  /** The rows of the monitored tables. */
  get cache(): OvsdbCache {
    return this.store;
  }

  get state(): ClientState {
    return this.currentState;
  }

  /** The schema read on the current (or last) connection. */
  get schema(): DatabaseSchema | undefined {
    return this.currentSchema;
  }

  /** Connects in the background, and keeps reconnecting until `close`. */
  start(): void {
    if (this.currentState !== 'idle') return;
    this.currentState = 'connecting';
    this.running = this.run();
  }

  waitUntilConnected(timeoutMs: number): Promise<void> {
    return this.waitFor('the OVSDB connection', () => (this.currentState === 'connected' ? true : undefined), timeoutMs).then(() => undefined);
  }

  /** Stops everything: the session, reconnect timers, keepalive, pending waits. */
  async close(): Promise<void> {
    if (this.currentState === 'closed') return;
    this.currentState = 'closed';
    this.stopping.abort();
    this.wakeUp?.();
    this.session?.close({ kind: 'closed-by-client' });
    for (const cancel of [...this.waiters]) cancel(new OvsdbNotConnectedError('closed'));
    await this.running;
  }

  async listDbs(): Promise<string[]> {
    return this.live().request('list_dbs', [], (result) => {
      if (!Array.isArray(result) || !result.every((name) => typeof name === 'string')) {
        throw new OvsdbProtocolError(`list_dbs answered ${JSON.stringify(result)}`);
      }
      return result as string[];
    });
  }

  async getSchema(database = this.database): Promise<DatabaseSchema> {
    return this.live().request('get_schema', [database], readSchema);
  }

  /** Answers the params back, as the server echoes them. */
  async echo(...params: Json[]): Promise<Json> {
    return this.live().request('echo', params);
  }

  /** Applies the transaction atomically; a failed operation throws a typed error and nothing is applied. */
  async transact(transaction: Transaction): Promise<TransactionOutcome> {
    return this.live().request('transact', [this.database, ...transaction.toWire()], (result) => transaction.readResult(result));
  }

  /**
   * Monitors tables: their rows enter the cache before this resolves, and stay current from then on. A table
   * can be in one monitor only.
   */
  async monitor(tables: readonly WatchedTable[]): Promise<Monitor> {
    const session = this.live();
    const selections = tables.map((table): TableSelection => ('table' in table ? table : { table, where: [] }));
    const names = selections.map((selection) => selection.table.name);
    for (const { table, where } of selections) {
      if (this.claimedTables.has(table.name) || names.indexOf(table.name) !== names.lastIndexOf(table.name)) {
        throw new OvsdbUsageError(`${table.name} is already monitored`);
      }
      if (where.length > 0 && this.monitorMethod !== 'monitor_cond') throw new OvsdbUsageError(`conditions on ${table.name} need monitor_cond`);
    }
    const monitor: ActiveMonitor = { id: `m${this.nextMonitorId++}`, selections };
    for (const name of names) this.claimedTables.add(name);
    try {
      await this.setUp(session, monitor, 'initial');
    } catch (error) {
      for (const name of names) this.claimedTables.delete(name);
      throw error;
    }
    return new Monitor(
      monitor.id,
      selections.map((selection) => selection.table),
      this,
    );
  }

  /** Resolves once `check` answers a value for the cache; checked now and after every cache update. */
  waitFor<T>(what: string, check: (cache: OvsdbCache) => T | undefined, timeoutMs: number): Promise<T> {
    if (this.closed) return Promise.reject(new OvsdbNotConnectedError('closed'));
    return new Promise<T>((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        this.off('cache-updated', attempt);
        this.off('connected', attempt);
        this.waiters.delete(cancel);
      };
      const cancel = (error: Error): void => {
        finish();
        reject(error);
      };
      const attempt = (): void => {
        try {
          const value = check(this.store);
          if (value === undefined) return;
          finish();
          resolve(value);
        } catch (error) {
          cancel(error as Error);
        }
      };
      const timer = setTimeout(() => cancel(new OvsdbTimeoutError(what, timeoutMs)), timeoutMs);
      this.waiters.add(cancel);
      this.on('cache-updated', attempt);
      this.on('connected', attempt);
      attempt();
    });
  }

  /** @internal through `Monitor.cancel`. */
  async cancelMonitor(id: string): Promise<void> {
    const monitor = this.monitors.get(id);
    if (!monitor) return;
    if (this.session?.isOpen && this.currentState === 'connected') {
      await this.session.request('monitor_cancel', [id]).catch((error: Error) => {
        // Unknown to the server means it is gone already; anything else is worth a line.
        if (!(error instanceof OvsdbRpcError && error.error === 'unknown monitor')) this.log.warn({ err: error, monitor: id }, 'monitor_cancel failed');
      });
    }
    this.forget(monitor);
  }

  private forget(monitor: ActiveMonitor): void {
    this.monitors.delete(monitor.id);
    const models = monitor.selections.map((selection) => selection.table);
    for (const model of models) this.claimedTables.delete(model.name);
    this.announce('cache-updated', this.store.drop(models));
  }

  /** Read through a getter: `close` may change the state while a method awaits. */
  private get closed(): boolean {
    return this.currentState === 'closed';
  }

  private live(): OvsdbSession {
    if (this.currentState !== 'connected' || !this.session?.isOpen) throw new OvsdbNotConnectedError(this.currentState);
    return this.session;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      const opened = await OvsdbSession.open(this.remote, this.sessionOptions, this.stopping.signal);
      if (opened instanceof OvsdbSession) {
        if (await this.serve(opened)) failures = 0;
      } else if (!this.closed) {
        this.log.warn({ reason: opened }, `OVSDB connection attempt failed: ${describeDisconnect(opened)}`);
      }
      if (this.closed) break;
      const delayMs = Math.min(this.reconnect.maxMs, this.reconnect.initialMs * 2 ** failures++);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }

  /** Sets the session up and holds it until it ends; answers whether it got as far as connected. */
  private async serve(session: OvsdbSession): Promise<boolean> {
    this.session = session;
    if (this.closed) session.close();
    try {
      this.currentSchema = readSchema(await session.request('get_schema', [this.database]));
      for (const monitor of [...this.monitors.values()]) await this.resynchronize(session, monitor);
    } catch (error) {
      session.close({ kind: 'setup-failed', message: (error as Error).message });
    }
    const connected = session.isOpen;
    if (connected) {
      this.currentState = 'connected';
      this.log.info({ remote: remoteText(this.remote) }, 'OVSDB connected');
      this.announce('connected', { remote: remoteText(this.remote), reconnected: this.everConnected });
      this.everConnected = true;
    }
    const reason = await session.closed;
    this.session = undefined;
    if (!this.closed) this.currentState = 'connecting';
    if (connected) {
      if (reason.kind !== 'closed-by-client') this.log.warn({ reason }, `OVSDB connection lost: ${describeDisconnect(reason)}`);
      this.announce('disconnected', reason);
    } else if (reason.kind !== 'closed-by-client') {
      this.log.warn({ reason }, `OVSDB session ended during setup: ${describeDisconnect(reason)}`);
    }
    return connected;
  }

  /** A monitor the current schema no longer fits is dropped (with its tables) rather than failing the session. */
  private async resynchronize(session: OvsdbSession, monitor: ActiveMonitor): Promise<void> {
    try {
      await this.setUp(session, monitor, 'resync');
    } catch (error) {
      if (!(error instanceof OvsdbSchemaMismatchError)) throw error;
      this.log.error({ err: error, monitor: monitor.id }, 'dropping a monitor that no longer fits the schema');
      this.forget(monitor);
    }
  }

  private async setUp(session: OvsdbSession, monitor: ActiveMonitor, cause: 'initial' | 'resync'): Promise<void> {
    const models = monitor.selections.map((selection) => selection.table);
    const problems = this.currentSchema ? schemaProblems(this.currentSchema, models) : [];
    if (problems.length > 0) throw new OvsdbSchemaMismatchError(this.database, problems);
    const requests: Record<string, Json> = {};
    for (const { table, where } of monitor.selections) {
      const request: JsonObject = where.length > 0 ? { columns: table.columnNames, where } : { columns: table.columnNames };
      requests[table.name] = this.monitorMethod === 'monitor_cond' ? [request] : request;
    }
    const format: UpdateFormat = this.monitorMethod === 'monitor_cond' ? 'update2' : 'update';
    // Applied as the reply is read, so that the notifications right behind it find the monitor and its rows.
    await session.request(this.monitorMethod, [this.database, monitor.id, requests], (result) => {
      const update = this.store.replace(models, result, format, cause);
      this.monitors.set(monitor.id, monitor);
      this.announce('cache-updated', update);
    });
  }

  private notified(method: string, params: readonly Json[]): void {
    if (method !== 'update' && method !== 'update2') return;
    const [id, updates] = params;
    if (typeof id !== 'string' || !this.monitors.has(id)) return;
    this.announce('cache-updated', this.store.apply(updates ?? null, method));
  }

  /** A listener that throws must not break the session that delivered the event. */
  private announce<K extends keyof OvsdbClientEvents>(event: K, ...args: OvsdbClientEvents[K]): void {
    try {
      // EventEmitter types its args with a conditional type that a generic K cannot be matched against.
      (this.emit as (event: K, ...args: OvsdbClientEvents[K]) => boolean)(event, ...args);
    } catch (error) {
      this.log.error({ err: error, event }, 'an OVSDB client listener failed');
    }
  }
}
