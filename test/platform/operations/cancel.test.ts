import {
  OperationCancelledError,
  OperationNotFoundError,
  OperationStateError,
  OPERATIONS,
  RESOURCE_CLAIMS,
  type Operation,
  type ResourceClaim,
  type StepDefinition,
} from '../../../platform/operations/index.js';
import { gate, within, type Gate } from '../../support/gate.js';
import { useEngineBench } from './engine-bench.js';

const WAIT_MS = 5000;

/**
 * Resolves when `signal` is aborted (rejecting with its reason, as a well-behaved step does), or after `ms`
 * with 'not aborted', so a step never waits forever.
 */
function abortedWithin(signal: AbortSignal, ms: number, entered: () => void): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => resolve('not aborted'), ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      },
      { once: true },
    );
    entered();
  });
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A step that records its runs and compensations in `log`. */
function recorded(name: string, log: string[], extra: Partial<StepDefinition> = {}): StepDefinition {
  return {
    name,
    onRestart: 'resume',
    async run() {
      log.push(`run ${name}`);
      return { step: name };
    },
    async compensate() {
      log.push(`compensate ${name}`);
    },
    ...extra,
  };
}

/** Steps first (stops at `blocked` on its first run only), second, third. */
function blockedFirst(log: string[], blocked: Gate): StepDefinition[] {
  let runs = 0;
  return [
    recorded('first', log, {
      async run() {
        runs += 1;
        log.push('run first');
        if (runs === 1) await blocked.wait();
        return { step: 'first' };
      },
    }),
    recorded('second', log),
    recorded('third', log),
  ];
}

describe('operation cancel', () => {
  const bench = useEngineBench('operations-cancel');
  const engine = bench.engine;

  async function claimOf(resourceId: string): Promise<ResourceClaim | undefined> {
    return (await bench.store.collection<ResourceClaim>(RESOURCE_CLAIMS).get(resourceId))?.value;
  }

  async function stored(id: string): Promise<Operation | undefined> {
    return (await bench.store.collection<Operation>(OPERATIONS).get(id))?.value;
  }

  it('GRACEFUL: shows the pending cancel at once, lets the running step finish and starts no further step', async () => {
    const log: string[] = [];
    const blocked = gate();
    const ops = engine();
    ops.define('instantiate', blockedFirst(log, blocked));
    const changes: Operation[] = [];
    ops.on('changed', (operation) => changes.push(operation));
    const started = await ops.start('instantiate', 'vnf-1', null);
    await within(blocked.entered, WAIT_MS, 'the step start');

    const answered = await ops.cancel(started.id, 'GRACEFUL');
    expect(answered).toMatchObject({ state: 'PROCESSING', isCancelPending: true, cancelMode: 'GRACEFUL' });
    expect(await stored(started.id)).toMatchObject({ state: 'PROCESSING', isCancelPending: true, cancelMode: 'GRACEFUL' });
    expect(changes.at(-1)).toMatchObject({ isCancelPending: true, cancelMode: 'GRACEFUL' });
    await sleep(50);
    expect((await stored(started.id))?.steps.map((step) => step.status)).toEqual(['running', 'pending', 'pending']);

    blocked.open();
    const cancelled = await ops.waitFor(started.id, WAIT_MS);
    expect(cancelled.state).toBe('FAILED_TEMP');
    expect(cancelled.isCancelPending).toBe(false);
    expect(cancelled.cancelMode).toBeUndefined();
    expect(cancelled.lease).toBeNull();
    expect(cancelled.error).toMatchObject({ title: 'Operation cancelled', status: 409, step: 'second' });
    expect(cancelled.error?.detail).toMatch(/GRACEFUL/);
    expect(cancelled.steps.map((step) => step.status)).toEqual(['done', 'pending', 'pending']);
    expect(log).toEqual(['run first']);
    expect((await claimOf('vnf-1'))?.operationId).toBe(started.id);
    expect(changes.at(-1)).toMatchObject({ state: 'FAILED_TEMP', isCancelPending: false });
  });

  it('FORCEFUL: aborts the running step through its signal at once and goes FAILED_TEMP', async () => {
    const log: string[] = [];
    let entered: () => void = () => undefined;
    const inStep = new Promise<void>((resolve) => (entered = resolve));
    let reason: unknown;
    const ops = engine();
    ops.define('instantiate', [
      recorded('first', log),
      recorded('waits', log, {
        async run(ctx) {
          log.push('run waits');
          try {
            return await abortedWithin(ctx.signal, WAIT_MS, entered);
          } catch (error) {
            reason = error;
            throw error;
          }
        },
      }),
      recorded('third', log),
    ]);
    const started = await ops.start('instantiate', 'vnf-2', null);
    await within(inStep, WAIT_MS, 'the step start');

    const asked = Date.now();
    expect(await ops.cancel(started.id, 'FORCEFUL')).toMatchObject({ isCancelPending: true, cancelMode: 'FORCEFUL' });
    const cancelled = await ops.waitFor(started.id, WAIT_MS);
    expect(Date.now() - asked).toBeLessThan(2000); // long before the step's own timeout or a lease renewal
    expect(reason).toBeInstanceOf(OperationCancelledError);
    expect(cancelled.state).toBe('FAILED_TEMP');
    expect(cancelled.isCancelPending).toBe(false);
    expect(cancelled.error).toMatchObject({ title: 'Operation cancelled', status: 409, step: 'waits' });
    expect(cancelled.steps.map((step) => step.status)).toEqual(['done', 'failed', 'pending']);
    expect(cancelled.steps[1]?.error?.title).toBe('Operation cancelled');
    expect(log).toEqual(['run first', 'run waits']);
    expect((await claimOf('vnf-2'))?.operationId).toBe(started.id);
  });

  it('refuses to cancel a COMPLETED or FAILED_TEMP operation, and an unknown one', async () => {
    const ops = engine();
    ops.define('instantiate', [
      {
        name: 'only',
        onRestart: 'resume',
        async run(ctx) {
          if (ctx.input === 'fail') throw new Error('boom');
        },
      },
    ]);
    const completed = await ops.waitFor((await ops.start('instantiate', 'vnf-3', 'ok')).id, WAIT_MS);
    expect(completed.state).toBe('COMPLETED');
    await expect(ops.cancel(completed.id, 'GRACEFUL')).rejects.toBeInstanceOf(OperationStateError);
    await expect(ops.cancel(completed.id, 'FORCEFUL')).rejects.toMatchObject({ status: 409 });

    const failed = await ops.waitFor((await ops.start('instantiate', 'vnf-4', 'fail')).id, WAIT_MS);
    expect(failed.state).toBe('FAILED_TEMP');
    await expect(ops.cancel(failed.id, 'GRACEFUL')).rejects.toBeInstanceOf(OperationStateError);
    expect((await stored(failed.id))?.isCancelPending).toBeUndefined();

    await expect(ops.cancel('no-such-operation', 'GRACEFUL')).rejects.toBeInstanceOf(OperationNotFoundError);
  });

  it('retries a cancelled operation to completion without running its done steps again', async () => {
    const log: string[] = [];
    const blocked = gate();
    const ops = engine();
    ops.define('instantiate', blockedFirst(log, blocked));
    const started = await ops.start('instantiate', 'vnf-5', null);
    await within(blocked.entered, WAIT_MS, 'the step start');
    await ops.cancel(started.id, 'GRACEFUL');
    blocked.open();
    expect((await ops.waitFor(started.id, WAIT_MS)).state).toBe('FAILED_TEMP');

    const retried = await ops.retry(started.id);
    expect(retried.error).toBeUndefined();
    const done = await ops.waitFor(started.id, WAIT_MS);
    expect(done.state).toBe('COMPLETED');
    expect(done.isCancelPending).toBe(false);
    expect(done.steps.map((step) => step.attempts)).toEqual([1, 1, 1]);
    expect(log).toEqual(['run first', 'run second', 'run third']);
    expect(await claimOf('vnf-5')).toBeUndefined();
  });

  it('rolls a cancelled operation back by compensating its done steps only', async () => {
    const log: string[] = [];
    const blocked = gate();
    const ops = engine();
    ops.define('instantiate', blockedFirst(log, blocked));
    const started = await ops.start('instantiate', 'vnf-6', null);
    await within(blocked.entered, WAIT_MS, 'the step start');
    await ops.cancel(started.id, 'GRACEFUL');
    blocked.open();
    expect((await ops.waitFor(started.id, WAIT_MS)).state).toBe('FAILED_TEMP');

    await ops.rollback(started.id);
    const rolledBack = await ops.waitFor(started.id, WAIT_MS);
    expect(rolledBack.state).toBe('ROLLED_BACK');
    expect(rolledBack.steps.map((step) => step.status)).toEqual(['compensated', 'pending', 'pending']);
    expect(log).toEqual(['run first', 'compensate first']);
    expect(await claimOf('vnf-6')).toBeUndefined();
  });

  it('cancels while the last step runs: FAILED_TEMP instead of COMPLETED, and a retry completes without running it again', async () => {
    const log: string[] = [];
    const blocked = gate();
    const ops = engine();
    ops.define('instantiate', [
      recorded('first', log),
      recorded('last', log, {
        async run() {
          log.push('run last');
          await blocked.wait();
          return 'last';
        },
      }),
    ]);
    const started = await ops.start('instantiate', 'vnf-7', null);
    await within(blocked.entered, WAIT_MS, 'the step start');
    await ops.cancel(started.id, 'GRACEFUL');
    blocked.open();
    const cancelled = await ops.waitFor(started.id, WAIT_MS);
    expect(cancelled.state).toBe('FAILED_TEMP');
    expect(cancelled.error?.title).toBe('Operation cancelled');
    expect(cancelled.error?.step).toBeUndefined();
    expect(cancelled.steps.map((step) => step.status)).toEqual(['done', 'done']);
    expect((await claimOf('vnf-7'))?.operationId).toBe(started.id);

    await ops.retry(started.id);
    expect((await ops.waitFor(started.id, WAIT_MS)).state).toBe('COMPLETED');
    expect(log).toEqual(['run first', 'run last']);
  });

  it('cancels a rollback: no further compensation starts; rolling back again finishes it', async () => {
    const log: string[] = [];
    const blocked = gate();
    let compensations = 0;
    const ops = engine();
    ops.define('instantiate', [
      recorded('first', log),
      recorded('second', log, {
        async compensate() {
          compensations += 1;
          log.push('compensate second');
          if (compensations === 1) await blocked.wait();
        },
      }),
      recorded('third', log, {
        async run() {
          throw new Error('third broke');
        },
      }),
    ]);
    const started = await ops.start('instantiate', 'vnf-8', null);
    expect((await ops.waitFor(started.id, WAIT_MS)).state).toBe('FAILED_TEMP');
    await ops.rollback(started.id);
    await within(blocked.entered, WAIT_MS, 'the compensation start');
    expect(await ops.cancel(started.id, 'GRACEFUL')).toMatchObject({ state: 'ROLLING_BACK', isCancelPending: true });
    blocked.open();
    const cancelled = await ops.waitFor(started.id, WAIT_MS);
    expect(cancelled.state).toBe('FAILED_TEMP');
    expect(cancelled.direction).toBe('rollback');
    expect(cancelled.error).toMatchObject({ title: 'Operation cancelled', status: 409, step: 'first' });
    expect(cancelled.steps.map((step) => step.status)).toEqual(['done', 'compensated', 'compensated']);
    await expect(ops.retry(started.id)).rejects.toBeInstanceOf(OperationStateError);

    await ops.rollback(started.id);
    expect((await ops.waitFor(started.id, WAIT_MS)).state).toBe('ROLLED_BACK');
    expect(log).toEqual(['run first', 'run second', 'compensate third', 'compensate second', 'compensate first']);
  });

  it('takes a cancel from another engine sharing the store to the lease holder within a bounded time', async () => {
    let entered: () => void = () => undefined;
    const inStep = new Promise<void>((resolve) => (entered = resolve));
    let outcome: unknown;
    const log: string[] = [];
    const steps: StepDefinition[] = [
      recorded('waits', log, {
        async run(ctx) {
          log.push('run waits');
          if (ctx.attempt > 1) return;
          try {
            outcome = await abortedWithin(ctx.signal, WAIT_MS, entered);
          } catch (error) {
            outcome = error;
            throw error;
          }
        },
      }),
      recorded('after', log),
    ];
    // Renews every 100 ms: the holder sees the stored request at its next renewal at the latest.
    const holder = engine({ leaseMs: 300 });
    const other = engine({ leaseMs: 300 });
    holder.define('instantiate', steps);
    other.define('instantiate', steps);
    const started = await holder.start('instantiate', 'vnf-9', null);
    await within(inStep, WAIT_MS, 'the step start');

    const asked = Date.now();
    expect(await other.cancel(started.id, 'FORCEFUL')).toMatchObject({ isCancelPending: true, cancelMode: 'FORCEFUL' });
    expect(await holder.get(started.id)).toMatchObject({ isCancelPending: true, cancelMode: 'FORCEFUL' });
    const cancelled = await other.waitFor(started.id, WAIT_MS);
    expect(Date.now() - asked).toBeLessThan(2000);
    expect(outcome).toBeInstanceOf(OperationCancelledError);
    expect(cancelled.state).toBe('FAILED_TEMP');
    expect(cancelled.isCancelPending).toBe(false);
    expect(cancelled.error).toMatchObject({ title: 'Operation cancelled', step: 'waits' });
    expect(cancelled.steps.map((step) => step.status)).toEqual(['failed', 'pending']);
    expect(log).toEqual(['run waits']);

    // The holder kept its lease through the foreign write: it neither lost the operation nor let another take it.
    expect(await other.recover()).toEqual({ resumed: [], failed: [] });
    await other.retry(started.id);
    expect((await other.waitFor(started.id, WAIT_MS)).state).toBe('COMPLETED');
    expect(log).toEqual(['run waits', 'run waits', 'run after']);
  });

  it('GRACEFUL from another engine: the running step finishes, the next one does not start', async () => {
    const log: string[] = [];
    const blocked = gate();
    const holder = engine({ leaseMs: 300 });
    const other = engine({ leaseMs: 300 });
    holder.define('instantiate', blockedFirst(log, blocked));
    other.define('instantiate', blockedFirst([], gate()));
    const started = await holder.start('instantiate', 'vnf-10', null);
    await within(blocked.entered, WAIT_MS, 'the step start');
    await other.cancel(started.id, 'GRACEFUL');
    await sleep(250); // a couple of lease renewals adopt the request without losing the lease
    expect(await stored(started.id)).toMatchObject({ state: 'PROCESSING', isCancelPending: true, lease: { owner: holder.owner } });
    blocked.open();
    const cancelled = await other.waitFor(started.id, WAIT_MS);
    expect(cancelled).toMatchObject({ state: 'FAILED_TEMP', isCancelPending: false, error: { title: 'Operation cancelled', step: 'second' } });
    expect(cancelled.steps.map((step) => step.status)).toEqual(['done', 'pending', 'pending']);
    expect(log).toEqual(['run first']);
  });

  it('escalates a pending GRACEFUL cancel to FORCEFUL, never the reverse', async () => {
    let entered: () => void = () => undefined;
    const inStep = new Promise<void>((resolve) => (entered = resolve));
    let outcome: unknown;
    const ops = engine();
    ops.define('instantiate', [
      {
        name: 'waits',
        onRestart: 'resume',
        async run(ctx) {
          try {
            outcome = await abortedWithin(ctx.signal, WAIT_MS, entered);
          } catch (error) {
            outcome = error;
            throw error;
          }
        },
      },
    ]);
    const started = await ops.start('instantiate', 'vnf-11', null);
    await within(inStep, WAIT_MS, 'the step start');
    await ops.cancel(started.id, 'GRACEFUL');
    await sleep(50);
    expect(outcome).toBeUndefined();
    expect(await ops.cancel(started.id, 'FORCEFUL')).toMatchObject({ cancelMode: 'FORCEFUL' });
    const cancelled = await ops.waitFor(started.id, WAIT_MS);
    expect(outcome).toBeInstanceOf(OperationCancelledError);
    expect(cancelled.state).toBe('FAILED_TEMP');
  });

  it('cancels an operation nobody runs: whoever recovers it goes FAILED_TEMP without starting a step', async () => {
    const log: string[] = [];
    const blocked = gate();
    const closing = engine();
    closing.define('instantiate', blockedFirst(log, blocked));
    const started = await closing.start('instantiate', 'vnf-12', null);
    await within(blocked.entered, WAIT_MS, 'the step start');
    const close = closing.close();
    blocked.open();
    await within(close, WAIT_MS, 'close');
    expect(await stored(started.id)).toMatchObject({ state: 'PROCESSING', lease: null });

    const next = engine();
    next.define('instantiate', blockedFirst(log, gate()));
    expect(await next.cancel(started.id, 'GRACEFUL')).toMatchObject({ isCancelPending: true });
    expect((await next.recover()).resumed).toEqual([started.id]);
    const cancelled = await next.waitFor(started.id, WAIT_MS);
    expect(cancelled).toMatchObject({ state: 'FAILED_TEMP', isCancelPending: false, error: { title: 'Operation cancelled', step: 'second' } });
    expect(log).toEqual(['run first']);
  });
});
