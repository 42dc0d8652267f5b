/**
 * `continue` (SOL 005): a FAILED_TEMP operation taken past the failure of its step. The step runs its `continue`
 * (going on without what failed), the later steps run as usual, and the operation ends COMPLETED and partially
 * completed; steps without `continue`, rollbacks and other states are refused; a retry runs the step in full again.
 */
import {
  isPartiallyCompleted,
  OperationEngine,
  OperationStateError,
  RESOURCE_CLAIMS,
  type ResourceClaim,
  type StepDefinition,
} from '../../../platform/operations/index.js';
import { useEngineBench } from './engine-bench.js';

const WAIT_MS = 5000;

describe('operation continue', () => {
  const bench = useEngineBench('operations-continue');
  let ops: OperationEngine;

  beforeEach(() => {
    ops = bench.engine();
  });

  /** `members` each done by `many` unless listed in `failing`; its `continue` leaves the failing ones out. */
  function plan(log: string[], failing: Set<string>): StepDefinition[] {
    const members = ['a', 'b', 'c'];
    return [
      { name: 'first', onRestart: 'resume', run: async () => void log.push('run first') },
      {
        name: 'many',
        onRestart: 'resume',
        run: async () => {
          log.push('run many');
          const failed = members.filter((member) => failing.has(member));
          if (failed.length > 0) throw new Error(`${failed.join(', ')} failed`);
          return members;
        },
        continue: async () => {
          log.push('continue many');
          return members.filter((member) => !failing.has(member));
        },
        compensate: async () => void log.push('compensate many'),
      },
      { name: 'last', onRestart: 'resume', run: async (ctx) => void log.push(`run last with ${JSON.stringify(ctx.outputs['many'])}`) },
    ];
  }

  it('goes on past the failed step without what failed, and ends partially completed', async () => {
    const log: string[] = [];
    ops.define('deploy', plan(log, new Set(['b'])));
    const started = await ops.start('deploy', 'ns-1', null);
    const failed = await ops.waitFor(started.id, WAIT_MS);
    expect(failed.state).toBe('FAILED_TEMP');

    const continued = await ops.continue(started.id);
    expect(continued.state).toBe('PROCESSING');
    const done = await ops.waitFor(started.id, WAIT_MS);
    expect(done.state).toBe('COMPLETED');
    expect(isPartiallyCompleted(done)).toBe(true);
    expect(done.steps.map((step) => step.status)).toEqual(['done', 'done', 'done']);
    expect(done.steps[1]?.continuedPast?.detail).toBe('b failed');
    expect(log).toEqual(['run first', 'run many', 'continue many', 'run last with ["a","c"]']);
    expect(await bench.store.collection<ResourceClaim>(RESOURCE_CLAIMS).get('ns-1')).toBeUndefined();
    await expect(ops.continue(started.id)).rejects.toBeInstanceOf(OperationStateError);
  });

  it('a retry after a continue runs the step in full again; an operation that never failed is not partial', async () => {
    const log: string[] = [];
    const failing = new Set(['a']);
    ops.define('deploy', plan(log, failing));
    const started = await ops.start('deploy', 'ns-1', null);
    expect((await ops.waitFor(started.id, WAIT_MS)).state).toBe('FAILED_TEMP');
    await ops.retry(started.id);
    expect((await ops.waitFor(started.id, WAIT_MS)).state).toBe('FAILED_TEMP');
    failing.clear();
    await ops.retry(started.id);
    const done = await ops.waitFor(started.id, WAIT_MS);
    expect(done.state).toBe('COMPLETED');
    expect(isPartiallyCompleted(done)).toBe(false);
    expect(log).not.toContain('continue many');
  });

  it('refuses a step without `continue`, a failed rollback, and operations that are not FAILED_TEMP', async () => {
    const log: string[] = [];
    ops.define('plain', [{ name: 'only', onRestart: 'resume', run: async () => Promise.reject(new Error('no')), compensate: async () => Promise.reject(new Error('stuck')) }]);
    const plain = await ops.start('plain', 'vnf-1', null);
    expect((await ops.waitFor(plain.id, WAIT_MS)).state).toBe('FAILED_TEMP');
    await expect(ops.continue(plain.id)).rejects.toThrow(/step only of plain cannot be continued past/);
    expect((await ops.get(plain.id))?.state).toBe('FAILED_TEMP');
    await ops.rollback(plain.id);
    expect((await ops.waitFor(plain.id, WAIT_MS)).direction).toBe('rollback');
    await expect(ops.continue(plain.id)).rejects.toThrow(/failed while rolling back/);

    ops.define('deploy', plan(log, new Set()));
    const completed = await ops.waitFor((await ops.start('deploy', 'ns-2', null)).id, WAIT_MS);
    expect(completed.state).toBe('COMPLETED');
    const refusal = await ops.continue(completed.id).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(OperationStateError);
    expect((refusal as OperationStateError).status).toBe(409);
  });
});
