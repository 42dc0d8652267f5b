/**
 * Step definitions shared by the crash tests and the worker process they kill: every run and compensation
 * appends a line to a side-effect file, so a test can count exactly what ran, in which process, in which order.
 */
import fs from 'node:fs';
import type { StepDefinition } from '../../../platform/operations/index.js';

export const CRASH_KIND = 'crash-test';

export function recordEffect(file: string, line: string): void {
  fs.appendFileSync(file, `${line}\n`);
}

export function effectsIn(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter((line) => line !== '') : [];
}

/**
 * Steps a, b, c, d. Step c takes `onRestart` from the caller, has no compensation, and calls `block` when given
 * (the worker blocks there forever and tells the test it is inside step c).
 */
export function crashSteps(effects: string, onRestart: 'resume' | 'fail', block?: (operationId: string) => Promise<void>): StepDefinition[] {
  const compensated = (name: string): Pick<StepDefinition, 'compensate'> => ({
    async compensate() {
      recordEffect(effects, `compensate ${name}`);
    },
  });
  return [
    {
      name: 'a',
      onRestart: 'resume',
      async run() {
        recordEffect(effects, `run a ${process.pid}`);
        return { made: 'a' };
      },
      ...compensated('a'),
    },
    {
      name: 'b',
      onRestart: 'resume',
      async run(ctx) {
        recordEffect(effects, `run b ${process.pid}`);
        return { made: 'b', after: ctx.outputs.a ?? null };
      },
      ...compensated('b'),
    },
    {
      name: 'c',
      onRestart,
      async run(ctx) {
        recordEffect(effects, `run c ${process.pid}`);
        if (block) await block(ctx.operationId);
        return { made: 'c' };
      },
    },
    {
      name: 'd',
      onRestart: 'resume',
      async run() {
        recordEffect(effects, `run d ${process.pid}`);
        return { made: 'd' };
      },
      ...compensated('d'),
    },
  ];
}
