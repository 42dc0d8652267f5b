import { type Store } from '../../../platform/index.js';
import {
  OperationInProgressError,
  OperationNotFoundError,
  OperationStateError,
  OPERATIONS,
  RESOURCE_CLAIMS,
  type Json,
  type Operation,
  type ResourceClaim,
  type StepDefinition,
} from '../../../platform/operations/index.js';
import { gate, within } from '../../support/gate.js';
import { useEngineBench } from './engine-bench.js';

const WAIT_MS = 5000;

async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A step that records its runs and compensations in `log`. */
function recorded(name: string, log: string[], extra: Partial<StepDefinition> = {}): StepDefinition {
  return {
    name,
    onRestart: 'resume',
    async run(ctx) {
      log.push(`run ${name}`);
      return { step: name, earlier: Object.keys(ctx.outputs) };
    },
    async compensate(_ctx, output) {
      log.push(`compensate ${name} ${JSON.stringify(output ?? null)}`);
    },
    ...extra,
  };
}

describe('operation engine', () => {
  const bench = useEngineBench('operations', { leaseMs: 300 });
  const engine = bench.engine;

  async function claimOf(store: Store, resourceId: string): Promise<ResourceClaim | undefined> {
    return (await store.collection<ResourceClaim>(RESOURCE_CLAIMS).get(resourceId))?.value;
  }

  it('persists the operation before running steps, runs them in order and completes', async () => {
    const log: string[] = [];
    const ops = engine();
    const store = bench.store;
    let seenByFirstStep: Operation | undefined;
    ops.define('instantiate', [
      {
        name: 'reserve',
        onRestart: 'resume',
        async run(ctx) {
          seenByFirstStep = (await store.collection<Operation>(OPERATIONS).get(ctx.operationId))?.value;
          log.push('run reserve');
          return { reserved: (ctx.input as { flavour: string }).flavour };
        },
      },
      recorded('create', log),
      recorded('configure', log),
    ]);
    const states: string[] = [];
    ops.on('changed', (operation) => states.push(`${operation.state}:${operation.steps.map((step) => step.status[0]).join('')}`));

    const started = await ops.start('instantiate', 'vnf-1', { flavour: 'small' });
    expect(started.state).toBe('PROCESSING');
    expect(started.steps.map((step) => step.status)).toEqual(['pending', 'pending', 'pending']);
    const done = await ops.waitFor(started.id, WAIT_MS);

    expect(done.state).toBe('COMPLETED');
    expect(done.lease).toBeNull();
    expect(log).toEqual(['run reserve', 'run create', 'run configure']);
    expect(done.steps.map((step) => [step.name, step.status, step.attempts])).toEqual([
      ['reserve', 'done', 1],
      ['create', 'done', 1],
      ['configure', 'done', 1],
    ]);
    expect(done.steps[0]?.output).toEqual({ reserved: 'small' });
    expect(done.steps[2]?.output).toEqual({ step: 'configure', earlier: ['reserve', 'create'] });
    expect(seenByFirstStep?.state).toBe('PROCESSING');
    expect(seenByFirstStep?.steps.map((step) => step.status)).toEqual(['running', 'pending', 'pending']);
    expect(states[0]).toBe('PROCESSING:ppp');
    expect(states.at(-1)).toBe('COMPLETED:ddd');
    expect(await claimOf(store, 'vnf-1')).toBeUndefined();
    expect((await ops.list({ resourceId: 'vnf-1' })).map((operation) => operation.id)).toEqual([started.id]);
  });

  it('leaves an operation FAILED_TEMP with the error when a step fails, keeping the resource claimed', async () => {
    const log: string[] = [];
    const ops = engine();
    ops.define('scale', [
      recorded('first', log),
      {
        name: 'second',
        onRestart: 'resume',
        async run() {
          throw new Error('the VIM refused the flavour');
        },
      },
      recorded('third', log),
    ]);
    const started = await ops.start('scale', 'vnf-2', null);
    const failed = await ops.waitFor(started.id, WAIT_MS);

    expect(failed.state).toBe('FAILED_TEMP');
    expect(failed.lease).toBeNull();
    expect(failed.error).toEqual({
      title: 'Step failed',
      status: 500,
      detail: 'run of step second failed: the VIM refused the flavour',
      step: 'second',
    });
    expect(failed.steps.map((step) => step.status)).toEqual(['done', 'failed', 'pending']);
    expect(failed.steps[1]?.error).toEqual({ title: 'Step failed', detail: 'the VIM refused the flavour' });
    expect(log).toEqual(['run first']);
    expect((await claimOf(bench.store, 'vnf-2'))?.operationId).toBe(started.id);
    await expect(ops.start('scale', 'vnf-2', null)).rejects.toMatchObject({ name: 'OperationInProgressError', operationId: started.id });
  });

  it('retries from the failed step without running earlier steps again, and keeps checkpointed progress', async () => {
    const log: string[] = [];
    const progressSeen: Array<Json | undefined> = [];
    let failuresLeft = 1;
    const ops = engine();
    ops.define('heal', [
      recorded('first', log),
      {
        name: 'flaky',
        onRestart: 'resume',
        async run(ctx) {
          log.push(`run flaky attempt ${ctx.attempt}`);
          progressSeen.push(ctx.progress);
          await ctx.checkpoint({ vmsCreated: 1 });
          if (failuresLeft-- > 0) throw new Error('timeout talking to the VIM');
          return { vms: 2 };
        },
      },
      recorded('last', log),
    ]);
    const started = await ops.start('heal', 'vnf-3', null);
    expect((await ops.waitFor(started.id, WAIT_MS)).state).toBe('FAILED_TEMP');

    const retried = await ops.retry(started.id);
    expect(retried.state).toBe('PROCESSING');
    expect(retried.error).toBeUndefined();
    const done = await ops.waitFor(started.id, WAIT_MS);

    expect(done.state).toBe('COMPLETED');
    expect(log).toEqual(['run first', 'run flaky attempt 1', 'run flaky attempt 2', 'run last']);
    expect(progressSeen).toEqual([undefined, { vmsCreated: 1 }]);
    expect(done.steps.map((step) => step.attempts)).toEqual([1, 2, 1]);
    expect(done.steps[1]?.error).toBeUndefined();
    expect(await claimOf(bench.store, 'vnf-3')).toBeUndefined();
  });

  it('rolls back by compensating the done steps only, last first, and ends ROLLED_BACK', async () => {
    const log: string[] = [];
    const ops = engine();
    ops.define('instantiate', [
      recorded('network', log),
      recorded('nothing-to-undo', log, { compensate: undefined }),
      recorded('servers', log),
      recorded('failing', log, {
        async run() {
          log.push('run failing');
          throw new Error('quota exceeded');
        },
        compensate: undefined,
      }),
      recorded('never-run', log),
    ]);
    const started = await ops.start('instantiate', 'vnf-4', null);
    expect((await ops.waitFor(started.id, WAIT_MS)).state).toBe('FAILED_TEMP');
    log.length = 0;

    const rolling = await ops.rollback(started.id);
    expect(rolling.state).toBe('ROLLING_BACK');
    const rolledBack = await ops.waitFor(started.id, WAIT_MS);

    expect(rolledBack.state).toBe('ROLLED_BACK');
    expect(log).toEqual([
      'compensate servers {"step":"servers","earlier":["network","nothing-to-undo"]}',
      'compensate network {"step":"network","earlier":[]}',
    ]);
    expect(rolledBack.steps.map((step) => step.status)).toEqual(['compensated', 'compensated', 'compensated', 'failed', 'pending']);
    expect(await claimOf(bench.store, 'vnf-4')).toBeUndefined();
    const next = await ops.start('instantiate', 'vnf-4', null);
    expect(next.id).not.toBe(started.id);
  });

  it('compensates a failed step that defines a compensation, with no output', async () => {
    const log: string[] = [];
    const ops = engine();
    ops.define('terminate', [
      recorded('first', log),
      recorded('partial', log, {
        async run() {
          throw new Error('half done');
        },
      }),
    ]);
    const started = await ops.start('terminate', 'vnf-5', null);
    await ops.waitFor(started.id, WAIT_MS);
    log.length = 0;
    await ops.rollback(started.id);
    expect((await ops.waitFor(started.id, WAIT_MS)).state).toBe('ROLLED_BACK');
    expect(log).toEqual(['compensate partial null', 'compensate first {"step":"first","earlier":[]}']);
  });

  it('goes FAILED_TEMP when a compensation fails; rolling back again continues where it stopped', async () => {
    const log: string[] = [];
    let compensationFailuresLeft = 1;
    const ops = engine();
    ops.define('instantiate', [
      recorded('first', log),
      recorded('second', log, {
        async compensate() {
          log.push('compensate second');
          if (compensationFailuresLeft-- > 0) throw new Error('port still in use');
        },
      }),
      recorded('third', log),
      recorded('failing', log, {
        async run() {
          throw new Error('boom');
        },
        compensate: undefined,
      }),
    ]);
    const started = await ops.start('instantiate', 'vnf-6', null);
    await ops.waitFor(started.id, WAIT_MS);
    log.length = 0;
    await ops.rollback(started.id);
    const stuck = await ops.waitFor(started.id, WAIT_MS);

    expect(stuck.state).toBe('FAILED_TEMP');
    expect(stuck.direction).toBe('rollback');
    expect(stuck.error).toMatchObject({ step: 'second', detail: 'compensation of step second failed: port still in use' });
    expect(stuck.steps.map((step) => step.status)).toEqual(['done', 'compensating', 'compensated', 'failed']);
    await expect(ops.retry(started.id)).rejects.toBeInstanceOf(OperationStateError);

    await ops.rollback(started.id);
    expect((await ops.waitFor(started.id, WAIT_MS)).state).toBe('ROLLED_BACK');
    expect(log).toEqual([
      expect.stringMatching(/^compensate third /),
      'compensate second',
      'compensate second',
      expect.stringMatching(/^compensate first /),
    ]);
  });

  it('fails a FAILED_TEMP operation for good, releasing the resource, and refuses wrong-state calls', async () => {
    const ops = engine();
    const entered = gate();
    ops.define('failing', [
      {
        name: 'only',
        onRestart: 'resume',
        async run(ctx) {
          if (ctx.input === 'block') await entered.wait();
          throw new Error('nope');
        },
      },
    ]);
    const first = await ops.start('failing', 'vnf-7', null);
    await ops.waitFor(first.id, WAIT_MS);
    const failed = await ops.fail(first.id);
    expect(failed.state).toBe('FAILED');
    expect((await ops.get(first.id))?.state).toBe('FAILED');
    expect(await claimOf(bench.store, 'vnf-7')).toBeUndefined();
    for (const call of [() => ops.retry(first.id), () => ops.rollback(first.id), () => ops.fail(first.id)]) {
      await expect(call()).rejects.toMatchObject({ name: 'OperationStateError', status: 409, state: 'FAILED' });
    }

    const second = await ops.start('failing', 'vnf-7', 'block');
    await within(entered.entered, WAIT_MS, 'the step start');
    await expect(ops.fail(second.id)).rejects.toMatchObject({ name: 'OperationStateError', state: 'PROCESSING' });
    entered.open();
    await ops.waitFor(second.id, WAIT_MS);
    await expect(ops.retry('no-such-operation')).rejects.toBeInstanceOf(OperationNotFoundError);
    expect(() => ops.define('failing', [])).toThrow(/already defined/);
    await expect(ops.start('undefined-kind', 'vnf-8', null)).rejects.toThrow(/not defined/);
  });

  it('refuses a second start on a busy resource with the id of the operation in progress', async () => {
    const ops = engine();
    const blocked = gate();
    ops.define('instantiate', [{ name: 'slow', onRestart: 'resume', run: () => blocked.wait() }]);
    const first = await ops.start('instantiate', 'vnf-9', null);

    const refusal = await ops.start('instantiate', 'vnf-9', null).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(OperationInProgressError);
    expect((refusal as OperationInProgressError).operationId).toBe(first.id);
    expect((refusal as OperationInProgressError).status).toBe(409);
    const other = await ops.start('instantiate', 'vnf-10', null);
    expect(other.id).not.toBe(first.id);

    blocked.open();
    expect((await ops.waitFor(first.id, WAIT_MS)).state).toBe('COMPLETED');
    expect((await ops.waitFor(other.id, WAIT_MS)).state).toBe('COMPLETED');
  });

  it('lets exactly one of two engines on one store start an operation on a resource', async () => {
    const left = engine();
    const right = engine();
    const blocked = gate();
    for (const side of [left, right]) side.define('instantiate', [{ name: 'slow', onRestart: 'resume', run: () => blocked.wait() }]);
    for (let round = 0; round < 10; round += 1) {
      const resourceId = `contested-${round}`;
      const outcomes = await Promise.allSettled([left.start('instantiate', resourceId, round), right.start('instantiate', resourceId, round)]);
      const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const losers = outcomes.filter((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(1);
      const winner = (winners[0] as PromiseFulfilledResult<Operation>).value;
      expect(losers[0]?.reason).toBeInstanceOf(OperationInProgressError);
      expect((losers[0]?.reason as OperationInProgressError).operationId).toBe(winner.id);
      expect(await left.list({ resourceId })).toHaveLength(1);
    }
    blocked.open();
  });

  it('keeps the lease renewed while a step runs, so another engine does not take the operation over', async () => {
    let runs = 0;
    const blocked = gate();
    const steps: StepDefinition[] = [
      {
        name: 'slow',
        onRestart: 'resume',
        async run() {
          runs += 1;
          await blocked.wait();
        },
      },
    ];
    const holder = engine({ leaseMs: 200 });
    const other = engine({ leaseMs: 200 });
    holder.define('instantiate', steps);
    other.define('instantiate', steps);
    const started = await holder.start('instantiate', 'vnf-11', null);
    await within(blocked.entered, WAIT_MS, 'the step start');
    for (let attempt = 0; attempt < 4; attempt += 1) {
      await sleep(200);
      expect(await other.recover()).toEqual({ resumed: [], failed: [] });
    }
    blocked.open();
    expect((await other.waitFor(started.id, WAIT_MS)).state).toBe('COMPLETED');
    expect(runs).toBe(1);
  });

  it('stops an engine whose lease was taken over: it writes nothing more and the new holder finishes', async () => {
    const log: string[] = [];
    const blocked = gate();
    let abortedSeen = false;
    let checkpointError: unknown;
    const steps = (who: string): StepDefinition[] => [
      recorded('first', log),
      {
        name: 'slow',
        onRestart: 'resume',
        async run(ctx) {
          log.push(`run slow by ${who}`);
          if (who === 'original') {
            await blocked.wait();
            abortedSeen = ctx.signal.aborted;
            checkpointError = await ctx.checkpoint().then(
              () => undefined,
              (error: unknown) => error,
            );
          }
          return who;
        },
      },
      recorded('last', log),
    ];
    const original = engine({ leaseMs: 200 });
    original.define('instantiate', steps('original'));
    const started = await original.start('instantiate', 'vnf-12', null);
    await within(blocked.entered, WAIT_MS, 'the step start');

    // Another engine (owner "successor") takes the lease as if the original had stalled past its expiry.
    const operations = bench.store.collection<Operation>(OPERATIONS);
    const current = await operations.get(started.id);
    if (!current) throw new Error('operation missing');
    await operations.update({ ...current.value, lease: { owner: 'successor', expiresAt: new Date(Date.now() + 60_000).toISOString() } }, current.revision);
    await sleep(200); // a renewal attempt of the original fails in this time
    blocked.open();
    await eventually(async () => abortedSeen, WAIT_MS, 'the original noticing the loss');
    expect(checkpointError).toMatchObject({ name: 'OperationLeaseLostError' });
    const afterLoss = await operations.get(started.id);
    expect(afterLoss?.value.lease?.owner).toBe('successor');
    expect(afterLoss?.value.steps.map((step) => step.status)).toEqual(['done', 'running', 'pending']);

    const successor = engine({ owner: 'successor' });
    successor.define('instantiate', steps('successor'));
    expect((await successor.recover()).resumed).toEqual([started.id]);
    const done = await successor.waitFor(started.id, WAIT_MS);
    expect(done.state).toBe('COMPLETED');
    expect(done.steps[1]?.output).toBe('successor');
    expect(log).toEqual(['run first', 'run slow by original', 'run slow by successor', 'run last']);
  });

  it('on close waits for the running step, releases the lease, and recover() elsewhere finishes the rest', async () => {
    const log: string[] = [];
    const blocked = gate();
    const steps: StepDefinition[] = [
      recorded('first', log, {
        async run() {
          log.push('run first');
          await blocked.wait();
          return 'first done';
        },
      }),
      recorded('second', log),
    ];
    const closing = engine({ leaseMs: 60_000 });
    closing.define('instantiate', steps);
    const started = await closing.start('instantiate', 'vnf-13', null);
    await within(blocked.entered, WAIT_MS, 'the step start');
    let closed = false;
    const close = closing.close().then(() => (closed = true));
    await sleep(50);
    expect(closed).toBe(false);
    blocked.open();
    await within(close, WAIT_MS, 'close');
    const left = await closing.get(started.id);
    expect(left?.state).toBe('PROCESSING');
    expect(left?.lease).toBeNull();
    expect(left?.steps.map((step) => step.status)).toEqual(['done', 'pending']);
    await expect(closing.start('instantiate', 'vnf-14', null)).rejects.toThrow(/closed/);

    const next = engine({ leaseMs: 60_000 });
    next.define('instantiate', steps);
    expect(await next.recover()).toEqual({ resumed: [started.id], failed: [] });
    expect((await next.waitFor(started.id, WAIT_MS)).state).toBe('COMPLETED');
    expect(log).toEqual(['run first', 'run second']);
  });
});
