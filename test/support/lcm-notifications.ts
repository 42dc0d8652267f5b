/**
 * The bench of the VNF LCM and NS LCM subscription tests: a real operation engine over SQLite (the test defines
 * its operations), the API's notifier attached to it, its outbox delivering to a real callback server, and the
 * API's subscription routes on the platform's HTTP server, driven by inject.
 */
import path from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import {
  createLogger,
  NotificationOutbox,
  OperationEngine,
  registerEtsiApi,
  SqliteStore,
  type EtsiApi,
  type Json,
  type Logger,
  type Operation,
} from '../../platform/index.js';
import { eventually } from '../nfvo/support/api.js';
import { CallbackServer } from '../nfvo/support/callback-server.js';
import { startInjectedServer, TENANT_A, type InjectedServer } from './injected-server.js';
import { makeTempDir, removeTempDir } from './tmp.js';

export type Body = Record<string, any>;

export const WAIT_MS = 10_000;

/** A point a step of an instance stops at until the test opens it. */
export class Gate {
  private release: () => void = () => undefined;
  private readonly opened = new Promise<void>((resolve) => (this.release = resolve));
  reached = false;
  open(): void {
    this.release();
  }
  async pass(): Promise<void> {
    this.reached = true;
    await this.opened;
  }
}

/** What the bench uses of a notifier. */
export interface BenchNotifier<Instance> {
  attach(engine: OperationEngine, instanceOf: (instanceId: string) => Promise<Instance | undefined>): void;
  detach(): void;
  idle(): Promise<void>;
  catchUp(): Promise<void>;
  operationChanged(operation: Operation, instance: Instance): Promise<void>;
}

/** What a subscription to everything received at each point of `acrossRestart`. */
export interface RestartRecord {
  /** Once the operation reached its gate. */
  beforeStop: Body[];
  /** Once the operation completed with no notifier listening. */
  whileStopped: Body[];
  /** Once a new notifier over the same store caught up. */
  afterCatchUp: Body[];
  /** Once that notifier caught up again and was told of the operation directly. */
  afterRepeats: Body[];
  /** The subscription's deliveries left in the outbox at the end. */
  left: unknown[];
}

export interface LcmNotificationsBenchOptions<Instance, Notifier> {
  /** The temporary directory's prefix. */
  name: string;
  api: EtsiApi;
  subscriptionsPath: string;
  channel: string;
  /** The type of the operation occurrence notifications. */
  occurrenceType: string;
  /** The attribute of notifications with the instance's id, e.g. `vnfInstanceId`. */
  instanceIdAttribute: string;
  opOccsCollection: string;
  notifier(store: SqliteStore, outbox: NotificationOutbox, logger: Logger): Notifier;
  routes(store: SqliteStore, notifications: Notifier): FastifyPluginAsync;
  /** Defines the engine's operations; their steps may pass the bench's gates and fail as its `failures` say. */
  define(engine: OperationEngine): void;
  /** The input of an operation on an instance. */
  input(instanceId: string): Json;
}

export interface RequestAnswer {
  status: number;
  location: string | undefined;
  contentType: string;
  body: Body;
}

export type LcmOperationKind = 'INSTANTIATE' | 'TERMINATE';

/**
 * A bench set up before the tests of the `describe` it is called in, and taken down after them. Instances the
 * notifier knows are those in `instances`.
 */
export class LcmNotificationsBench<Instance extends { id: string; tenantId: string }, Notifier extends BenchNotifier<Instance>> {
  readonly instances = new Map<string, Instance>();
  readonly gates = new Map<string, Gate>();
  /** How many more times the failing step of an instance fails. */
  readonly failures = new Map<string, number>();
  private parts: { dir: string; store: SqliteStore; outbox: NotificationOutbox; notifications: Notifier; engine: OperationEngine; callback: CallbackServer; server: InjectedServer<void> } | undefined;

  constructor(private readonly options: LcmNotificationsBenchOptions<Instance, Notifier>) {
    beforeAll(() => this.setUp());
    afterAll(() => this.tearDown());
  }

  get store(): SqliteStore {
    return this.part('store');
  }
  get outbox(): NotificationOutbox {
    return this.part('outbox');
  }
  get notifications(): Notifier {
    return this.part('notifications');
  }
  get engine(): OperationEngine {
    return this.part('engine');
  }
  get callback(): CallbackServer {
    return this.part('callback');
  }

  readonly instanceOf = async (instanceId: string): Promise<Instance | undefined> => this.instances.get(instanceId);

  readonly request = async (method: 'GET' | 'POST' | 'DELETE', url: string, body?: unknown, token = TENANT_A): Promise<RequestAnswer> => {
    const response = await this.part('server').app.inject({
      method,
      url,
      headers: { 'x-auth-token': token, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
    });
    return {
      status: response.statusCode,
      location: response.headers.location as string | undefined,
      contentType: String(response.headers['content-type'] ?? ''),
      body: (response.body === '' ? {} : JSON.parse(response.body)) as Body,
    };
  };

  /** Subscribes a callback `name` of the callback server; answers the subscription's id. */
  readonly subscribe = async (name: string, filter?: Body, token = TENANT_A): Promise<string> => {
    const created = await this.request('POST', this.options.subscriptionsPath, { callbackUri: `${this.callback.url}/${name}`, ...(filter === undefined ? {} : { filter }) }, token);
    expect(created.status).toBe(201);
    return created.body.id as string;
  };

  /** The violations of a subscription request the API refuses with 400 and ProblemDetails. */
  readonly refuse = async (body: unknown): Promise<Body[]> => {
    const answer = await this.request('POST', this.options.subscriptionsPath, body);
    expect(answer.status).toBe(400);
    expect(answer.contentType).toMatch(/application\/problem\+json/);
    return answer.body.violations as Body[];
  };

  /** Notifications delivered to a subscription, about one instance. */
  readonly to = (subscriptionId: string, instanceId: string): Body[] =>
    this.callback.delivered.filter((body) => body.subscriptionId === subscriptionId && body[this.options.instanceIdAttribute] === instanceId);

  /** [type or operation, state, status] of each notification, compact for comparisons. */
  readonly summary = (bodies: Body[]): string[] =>
    bodies.map((body) => (body.notificationType === this.options.occurrenceType ? `${body.operation} ${body.operationState} ${body.notificationStatus}` : body.notificationType));

  /** Waits until every reported change is in the outbox and the outbox has delivered everything. */
  readonly settled = async (): Promise<void> => {
    await this.notifications.idle();
    await eventually(async () => ((await this.outbox.list({ state: 'PENDING' })).length === 0 ? true : undefined), WAIT_MS, 'the outbox to empty');
  };

  /** Waits until a gate's step reached it. */
  readonly reached = async (gate: Gate, step: string): Promise<void> => {
    await eventually(async () => (gate.reached ? true : undefined), WAIT_MS, `the ${step} step`);
  };

  readonly start = (kind: LcmOperationKind, instance: Instance): Promise<Operation> =>
    this.engine.start(kind, instance.id, this.options.input(instance.id), { tenantId: instance.tenantId });

  /** Starts an operation and waits for it to settle. */
  readonly run = async (kind: LcmOperationKind, instance: Instance): Promise<Operation> => this.engine.waitFor((await this.start(kind, instance)).id, WAIT_MS);

  /**
   * An INSTANTIATE of each instance whose failing step fails once: `retried` is retried (and completes),
   * `rolledBack` rolled back, `failed` failed for good. Answers what a subscription to everything received
   * about each.
   */
  async throughFailures(instances: { retried: Instance; rolledBack: Instance; failed: Instance }): Promise<{ retried: Body[]; rolledBack: Body[]; failed: Body[] }> {
    const everything = await this.subscribe('failures');
    for (const instance of Object.values(instances)) {
      this.instances.set(instance.id, instance);
      this.failures.set(instance.id, 1);
    }
    const first = await this.run('INSTANTIATE', instances.retried);
    expect(first.state).toBe('FAILED_TEMP');
    await this.engine.retry(first.id);
    expect((await this.engine.waitFor(first.id, WAIT_MS)).state).toBe('COMPLETED');

    const second = await this.run('INSTANTIATE', instances.rolledBack);
    await this.engine.rollback(second.id);
    expect((await this.engine.waitFor(second.id, WAIT_MS)).state).toBe('ROLLED_BACK');

    const third = await this.run('INSTANTIATE', instances.failed);
    await this.engine.fail(third.id);
    await this.settled();
    const received = {
      retried: this.to(everything, instances.retried.id),
      rolledBack: this.to(everything, instances.rolledBack.id),
      failed: this.to(everything, instances.failed.id),
    };
    expect((await this.request('DELETE', `${this.options.subscriptionsPath}/${everything}`)).status).toBe(204);
    return received;
  }

  /**
   * An INSTANTIATE of `instance` that the notifier stops listening to at its gate (of step `step`) and that
   * completes unobserved; then another notifier over the same store, as after a restart, catches up, and is
   * told of the operation again. Answers what a subscription to everything received at each point.
   */
  async acrossRestart(instance: Instance, step: string): Promise<RestartRecord> {
    const everything = await this.subscribe(`restart-${instance.id}`);
    const received = (): Body[] => this.to(everything, instance.id);
    this.instances.set(instance.id, instance);
    const gate = new Gate();
    this.gates.set(instance.id, gate);
    const started = await this.start('INSTANTIATE', instance);
    await this.reached(gate, step);
    await this.settled();
    const beforeStop = received();

    this.notifications.detach();
    gate.open();
    expect((await this.engine.waitFor(started.id, WAIT_MS)).state).toBe('COMPLETED');
    await this.settled();
    const whileStopped = received();

    const restarted = this.options.notifier(this.store, this.outbox, createLogger('silent'));
    restarted.attach(this.engine, this.instanceOf);
    await restarted.catchUp();
    await restarted.idle();
    await this.settled();
    const afterCatchUp = received();

    await restarted.catchUp();
    await restarted.operationChanged((await this.engine.get(started.id)) as Operation, instance);
    await restarted.idle();
    restarted.detach();
    this.notifications.attach(this.engine, this.instanceOf);
    await this.settled();
    const afterRepeats = received();
    const left = (await this.outbox.list()).filter((delivery) => delivery.subscriptionId === everything);
    expect((await this.request('DELETE', `${this.options.subscriptionsPath}/${everything}`)).status).toBe(204);
    return { beforeStop, whileStopped, afterCatchUp, afterRepeats, left };
  }

  private part<K extends keyof NonNullable<LcmNotificationsBench<Instance, Notifier>['parts']>>(name: K): NonNullable<LcmNotificationsBench<Instance, Notifier>['parts']>[K] {
    if (!this.parts) throw new Error('the bench is not set up: use it in the tests of the describe that made it');
    return this.parts[name];
  }

  private async setUp(): Promise<void> {
    const options = this.options;
    const dir = makeTempDir(options.name);
    const store = new SqliteStore(path.join(dir, 'nfv.sqlite'));
    const logger = createLogger('silent');
    const outbox = new NotificationOutbox(store, logger, options.channel, { firstDelayMs: 50, pollIntervalMs: 100 });
    const notifications = options.notifier(store, outbox, logger);
    const engine = new OperationEngine({ store, logger, collection: options.opOccsCollection });
    options.define(engine);
    notifications.attach(engine, this.instanceOf);
    outbox.start();
    const callback = await CallbackServer.start();
    const server = await startInjectedServer(store, async (app) => {
      await registerEtsiApi(app, options.api, async (scope) => {
        await scope.register(options.routes(store, notifications));
      });
    });
    this.parts = { dir, store, outbox, notifications, engine, callback, server };
  }

  private async tearDown(): Promise<void> {
    const parts = this.parts;
    if (!parts) return;
    parts.notifications.detach();
    // A test that failed half way may have left an operation waiting at its gate.
    for (const gate of this.gates.values()) gate.open();
    await parts.engine.close();
    await parts.notifications.idle();
    await parts.outbox.stop();
    await parts.server.close();
    await parts.callback.close();
    removeTempDir(parts.dir);
  }
}
