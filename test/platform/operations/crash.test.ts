import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createLogger, SqliteStore, type Store } from '../../../platform/index.js';
import { OperationEngine, RESOURCE_CLAIMS, type Operation, type RecoveryReport, type ResourceClaim } from '../../../platform/operations/index.js';
import { exited, outputOf } from '../../support/child.js';
import { makeTempDir, removeTempDir } from '../../support/tmp.js';
import { CRASH_KIND, crashSteps, effectsIn } from './steps.js';

const WORKER = path.resolve(path.dirname(fileURLToPath(import.meta.url)), 'operation-worker.ts');
const LEASE_MS = 300;
const WAIT_MS = 15_000;

function startWorker(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', WORKER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Resolves with the rest of the first stdout line starting with `prefix`; rejects if the worker exits first or time runs out. */
function lineFrom(child: ChildProcess, prefix: string, ms: number): Promise<string> {
  let errors = '';
  child.stderr?.on('data', (chunk: Buffer) => (errors += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "${prefix}" line from the worker within ${ms} ms: ${errors}`)), ms);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the worker exited (${code}) before "${prefix}": ${errors}`));
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.startsWith(prefix)) return;
      clearTimeout(timer);
      resolve(line.slice(prefix.length));
    });
  });
}

/** Calls `recover` until it reports the operation (its lease has to expire first), within a bound. */
async function recoverUntil(engine: OperationEngine, operationId: string, ms: number): Promise<RecoveryReport> {
  const deadline = Date.now() + ms;
  for (;;) {
    const report = await engine.recover();
    if (report.resumed.includes(operationId) || report.failed.includes(operationId)) return report;
    if (Date.now() > deadline) throw new Error(`recover() did not take over ${operationId} within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('operations across processes', () => {
  let dir: string;
  let file: string;
  let effects: string;
  const children: ChildProcess[] = [];
  const engines: OperationEngine[] = [];
  const stores: Store[] = [];

  beforeEach(() => {
    dir = makeTempDir('operations-crash');
    file = path.join(dir, 'nfv.sqlite');
    effects = path.join(dir, 'effects.log');
  });

  afterEach(async () => {
    for (const child of children.splice(0)) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited(child);
    }
    await Promise.all(engines.splice(0).map((engine) => engine.close()));
    await Promise.all(stores.splice(0).map((store) => store.close()));
    removeTempDir(dir);
  });

  /** Runs the crash-test operation in a worker, kills it with SIGKILL inside step c, and answers the operation id. */
  async function killInsideStepC(onRestart: 'resume' | 'fail', resourceId: string): Promise<string> {
    const child = startWorker(['crash', file, effects, onRestart, resourceId, String(LEASE_MS)]);
    children.push(child);
    const operationId = (await lineFrom(child, 'blocking ', WAIT_MS)).trim();
    child.kill('SIGKILL');
    await exited(child);
    return operationId;
  }

  function survivor(onRestart: 'resume' | 'fail'): { engine: OperationEngine; store: Store } {
    const store = new SqliteStore(file);
    stores.push(store);
    const engine = new OperationEngine({ store, logger: createLogger('silent'), leaseMs: LEASE_MS });
    engine.define(CRASH_KIND, crashSteps(effects, onRestart));
    engines.push(engine);
    return { engine, store };
  }

  function statuses(operation: Operation | undefined): string[] {
    return operation?.steps.map((step) => `${step.name}:${step.status}:${step.attempts}`) ?? [];
  }

  it('resumes an operation whose worker was killed inside a resumable step, without rerunning done steps', async () => {
    const operationId = await killInsideStepC('resume', 'vnf-crash-1');
    const { engine } = survivor('resume');
    const interrupted = await engine.get(operationId);
    expect(interrupted?.state).toBe('PROCESSING');
    expect(statuses(interrupted)).toEqual(['a:done:1', 'b:done:1', 'c:running:1', 'd:pending:0']);

    const report = await recoverUntil(engine, operationId, WAIT_MS);
    expect(report).toEqual({ resumed: [operationId], failed: [] });
    const done = await engine.waitFor(operationId, WAIT_MS);

    expect(done.state).toBe('COMPLETED');
    expect(statuses(done)).toEqual(['a:done:1', 'b:done:1', 'c:done:2', 'd:done:1']);
    expect(done.steps[1]?.output).toEqual({ made: 'b', after: { made: 'a' } });
    const [workerPid] = (effectsIn(effects)[0] ?? '').split(' ').slice(-1);
    expect(effectsIn(effects)).toEqual([
      `run a ${workerPid}`,
      `run b ${workerPid}`,
      `run c ${workerPid}`,
      `run c ${process.pid}`,
      `run d ${process.pid}`,
    ]);
  });

  it('leaves FAILED_TEMP an operation killed inside a step that must not resume; rollback compensates exactly the done steps', async () => {
    const operationId = await killInsideStepC('fail', 'vnf-crash-2');
    const { engine, store } = survivor('fail');

    const report = await recoverUntil(engine, operationId, WAIT_MS);
    expect(report).toEqual({ resumed: [], failed: [operationId] });
    const failed = await engine.waitFor(operationId, 1000);
    expect(failed.state).toBe('FAILED_TEMP');
    expect(failed.lease).toBeNull();
    expect(failed.error).toMatchObject({ title: 'Interrupted', status: 500, step: 'c' });
    expect(statuses(failed)).toEqual(['a:done:1', 'b:done:1', 'c:failed:1', 'd:pending:0']);
    expect((await store.collection<ResourceClaim>(RESOURCE_CLAIMS).get('vnf-crash-2'))?.value.operationId).toBe(operationId);
    const runsBeforeRollback = effectsIn(effects);

    await engine.rollback(operationId);
    const rolledBack = await engine.waitFor(operationId, WAIT_MS);

    expect(rolledBack.state).toBe('ROLLED_BACK');
    expect(statuses(rolledBack)).toEqual(['a:compensated:1', 'b:compensated:1', 'c:failed:1', 'd:pending:0']);
    expect(runsBeforeRollback.map((line) => line.split(' ').slice(0, 2).join(' '))).toEqual(['run a', 'run b', 'run c']);
    expect(effectsIn(effects).slice(runsBeforeRollback.length)).toEqual(['compensate b', 'compensate a']);
    expect(await store.collection<ResourceClaim>(RESOURCE_CLAIMS).get('vnf-crash-2')).toBeUndefined();
  });

  it('lets exactly one of several processes start an operation on one resource', async () => {
    const goFile = path.join(dir, 'go');
    // One SQLite connection creates the schema first, so the racing workers do not also race to create tables.
    const setup = new SqliteStore(file);
    await setup.close();
    const workers = Array.from({ length: 4 }, () => startWorker(['start-when', file, 'vnf-contested', goFile]));
    children.push(...workers);
    const outputs = workers.map((worker) => outputOf(worker));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    fs.writeFileSync(goFile, 'go');
    const results = await Promise.all(outputs);

    const started = results.filter((result) => result.startsWith('started '));
    expect(started).toHaveLength(1);
    const winner = (started[0] as string).slice('started '.length);
    expect(results.filter((result) => result === `in-progress ${winner}`)).toHaveLength(3);
  });
});
