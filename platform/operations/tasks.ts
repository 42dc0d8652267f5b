/**
 * The task resources of an operation occurrence (SOL 003 clauses 5.4.14-5.4.17, SOL 005 clauses 6.4.11-6.4.15):
 * `retry` and `rollback` (202), `cancel` (202, body CancelMode), `fail` (200 with the occurrence), and with
 * `continueTask` SOL 005's `continue` (202; clause 6.4.13).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { OperationEngine } from './engine.js';
import { CANCEL_MODE_SCHEMA, type CancelMode, type Operation } from './model.js';

export interface OccurrenceTasksOptions {
  /** e.g. `/vnf_lcm_op_occs` */
  path: string;
  /** The path parameter naming the occurrence, e.g. `vnfLcmOpOccId`. */
  param: string;
  tags: string[];
  engine: OperationEngine;
  /** The occurrence the caller may see (404 otherwise). */
  occurrenceOf(request: FastifyRequest, id: string): Promise<Operation>;
  view(operation: Operation, request: FastifyRequest): object;
  /** Whether the API has the `continue` task (SOL 005 NS LCM; SOL 003 has none). */
  continueTask?: boolean;
}

export function registerOccurrenceTasks(scope: FastifyInstance, options: OccurrenceTasksOptions): void {
  type Params = { Params: Record<string, string> };
  const params = { type: 'object', required: [options.param], properties: { [options.param]: { type: 'string', minLength: 1, maxLength: 64 } } };
  const route = (task: string) => `${options.path}/:${options.param}/${task}`;
  const occurrence = (request: FastifyRequest<Params>) => options.occurrenceOf(request, request.params[options.param] ?? '');
  const schema = (summary: string, body?: object) => ({ schema: { tags: options.tags, summary, params, ...(body ? { body } : {}) } });

  scope.post<Params>(route('retry'), schema('Retry a failed operation from the step that failed'), async (request, reply) => {
    await options.engine.retry((await occurrence(request)).id);
    return reply.code(202).send();
  });
  scope.post<Params>(route('rollback'), schema('Roll a failed operation back'), async (request, reply) => {
    await options.engine.rollback((await occurrence(request)).id);
    return reply.code(202).send();
  });
  if (options.continueTask) {
    scope.post<Params>(route('continue'), schema('Continue a failed operation past its failure, leaving out what failed'), async (request, reply) => {
      await options.engine.continue((await occurrence(request)).id);
      return reply.code(202).send();
    });
  }
  scope.post<Params & { Body: { cancelMode: CancelMode } | undefined }>(route('cancel'), schema('Cancel an operation in progress', CANCEL_MODE_SCHEMA), async (request, reply) => {
    await options.engine.cancel((await occurrence(request)).id, request.body?.cancelMode ?? 'GRACEFUL');
    return reply.code(202).send();
  });
  scope.post<Params>(route('fail'), schema('Mark a failed operation as finally failed'), async (request) =>
    options.view(await options.engine.fail((await occurrence(request)).id), request),
  );
}
