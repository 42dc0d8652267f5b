/**
 * A separate process that runs operations on the embedded store, for tests that kill it or race it.
 * Run with `node --import tsx operation-worker.ts <mode> <file> ...`.
 *
 * - `crash <file> <effectsFile> <resume|fail> <resourceId> <leaseMs>`: starts a crash-test operation whose step c
 *   blocks forever, printing `blocking <operationId>` once step c is persisted as running. Waits to be killed.
 * - `start-when <file> <resourceId> <goFile>`: waits until `goFile` exists, then starts an operation on the
 *   resource whose only step never ends; prints `started <id>` or `in-progress <id of the holder>` and exits.
 */
import fs from 'node:fs';
import { createLogger, SqliteStore } from '../../../platform/index.js';
import { OperationEngine, OperationInProgressError } from '../../../platform/operations/index.js';
import { CRASH_KIND, crashSteps } from './steps.js';

async function main(): Promise<void> {
  const [mode, file, ...args] = process.argv.slice(2);
  if (!file) throw new Error('usage: operation-worker.ts <mode> <file> ...');
  const store = new SqliteStore(file);
  const logger = createLogger('silent');
  if (mode === 'crash') {
    const [effects = '', onRestart = '', resourceId = '', leaseMs = ''] = args;
    if (onRestart !== 'resume' && onRestart !== 'fail') throw new Error(`onRestart ${onRestart}`);
    const engine = new OperationEngine({ store, logger, leaseMs: Number(leaseMs) });
    engine.define(
      CRASH_KIND,
      crashSteps(effects, onRestart, async (operationId) => {
        process.stdout.write(`blocking ${operationId}\n`);
        await new Promise(() => undefined);
      }),
    );
    // The engine's timers do not keep a process alive; this one does, until the test kills it.
    setInterval(() => undefined, 1000);
    await engine.start(CRASH_KIND, resourceId, { requestedBy: 'crash-test' });
  } else if (mode === 'start-when') {
    const [resourceId = '', goFile = ''] = args;
    const engine = new OperationEngine({ store, logger, leaseMs: 60_000 });
    engine.define('endless', [{ name: 'wait', onRestart: 'resume', run: () => new Promise(() => undefined) }]);
    while (!fs.existsSync(goFile)) await new Promise((resolve) => setTimeout(resolve, 2));
    try {
      const operation = await engine.start('endless', resourceId, null);
      process.stdout.write(`started ${operation.id}\n`);
    } catch (error) {
      if (!(error instanceof OperationInProgressError)) throw error;
      process.stdout.write(`in-progress ${error.operationId}\n`);
    }
    process.exit(0);
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
