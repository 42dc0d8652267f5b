/**
 * A step's `cancellation` signal: aborted at once by a cancel request of either mode (so a step waiting on
 * operations of its own can pass the cancel on), while `signal` is aborted by FORCEFUL only.
 */
import { OperationCancelledError, OperationEngine, type CancelMode, type StepContext } from '../../../platform/operations/index.js';
import { gate, within } from '../../support/gate.js';
import { useEngineBench } from './engine-bench.js';

const WAIT_MS = 5000;

describe('a step told of a cancel request', () => {
  const bench = useEngineBench('operations-cancellation');
  let ops: OperationEngine;

  beforeEach(() => {
    ops = bench.engine();
  });

  for (const mode of ['GRACEFUL', 'FORCEFUL'] as const) {
    it(`${mode}: aborts the running step's cancellation with the mode${mode === 'FORCEFUL' ? ', and its signal' : ', not its signal'}`, async () => {
      const running = gate();
      const seen: { cancellation?: unknown; signalAborted?: boolean } = {};
      ops.define('deploy', [
        {
          name: 'waits',
          onRestart: 'resume',
          run: async (ctx: StepContext) => {
            const told = new Promise<void>((resolve) => ctx.cancellation.addEventListener('abort', () => resolve(), { once: true }));
            void running.wait();
            await within(told, WAIT_MS, 'the cancel request to reach the step');
            seen.cancellation = ctx.cancellation.reason;
            seen.signalAborted = ctx.signal.aborted;
          },
        },
        { name: 'next', onRestart: 'resume', run: async () => undefined },
      ]);
      const started = await ops.start('deploy', 'ns-1', null);
      await within(running.entered, WAIT_MS, 'the step start');
      await ops.cancel(started.id, mode as CancelMode);
      const cancelled = await ops.waitFor(started.id, WAIT_MS);
      expect(cancelled).toMatchObject({ state: 'FAILED_TEMP', isCancelPending: false });
      expect(seen.cancellation).toBeInstanceOf(OperationCancelledError);
      expect((seen.cancellation as OperationCancelledError).mode).toBe(mode);
      expect(seen.signalAborted).toBe(mode === 'FORCEFUL');
    });
  }
});
