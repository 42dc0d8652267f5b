import type { FastifyInstance, FastifyReply } from 'fastify';
import { ProblemError, type Violation } from '../errors.js';
import { PROBLEM_CONTENT_TYPE } from './problems.js';

/**
 * OpenStack-shaped APIs (Neutron networks and ports, networking-sfc, Traffic Steering): their clients
 * (python-neutronclient, openstacksdk) read `NeutronError.type` and `NeutronError.message` from an error body.
 * The platform's contract stays RFC 7807 ProblemDetails; these APIs add a `NeutronError` member to it, so
 * those clients show the message instead of a bare status line.
 */
export interface NeutronErrorBody<Fault extends string = string> {
  type: Fault;
  message: string;
  detail: string;
}

/** A refusal carrying its Neutron fault type next to the ProblemDetails. */
export function neutronProblem<Fault extends string>(status: number, type: Fault, message: string, violations?: Violation[]): ProblemError {
  const slug = type.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
  const body: NeutronErrorBody<Fault> = { type, message, detail: '' };
  return new ProblemError(status, message, { type: slug, extensions: { NeutronError: body }, ...(violations ? { violations } : {}) });
}

export type GenericNeutronFault = 'HTTPBadRequest' | 'HTTPUnauthorized' | 'HTTPNotFound' | 'HTTPConflict' | 'HTTPInternalServerError';

/** The fault type of a ProblemDetails raised outside these APIs (validation, auth, store conflicts). */
export function neutronFaultOfStatus(status: number): GenericNeutronFault {
  if (status === 401) return 'HTTPUnauthorized';
  if (status === 404) return 'HTTPNotFound';
  if (status === 409) return 'HTTPConflict';
  return status >= 500 ? 'HTTPInternalServerError' : 'HTTPBadRequest';
}

/** Failures raised before a handler runs (validation, auth) get their `NeutronError` member here. */
function withNeutronError(reply: FastifyReply, payload: unknown): unknown {
  const isProblem = String(reply.getHeader('content-type') ?? '').startsWith(PROBLEM_CONTENT_TYPE);
  if (reply.statusCode < 400 || typeof payload !== 'string' || !isProblem) return payload;
  const problem = JSON.parse(payload) as { detail?: string; violations?: Array<{ pointer: string; message: string }>; NeutronError?: unknown };
  if (problem.NeutronError !== undefined) return payload;
  const reasons = (problem.violations ?? []).map(({ pointer, message }) => `${pointer} ${message}`);
  const body: NeutronErrorBody = { type: neutronFaultOfStatus(reply.statusCode), message: [problem.detail ?? '', ...reasons].join(' ').trim(), detail: '' };
  return JSON.stringify({ ...problem, NeutronError: body });
}

/** Installs, in an OpenStack-shaped API's plugin scope, the hook that gives every error a `NeutronError`. */
export function installNeutronErrors(scope: FastifyInstance): void {
  scope.addHook('onSend', async (_request, reply, payload) => withNeutronError(reply, payload));
}
