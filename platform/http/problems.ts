import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ProblemError, titleForStatus, type ProblemDetails } from '../errors.js';
import { StoreConflictError } from '../store/contract.js';
import { partOfValidationContext, violationsFromAjv } from './validation.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Every failure leaves the server as RFC 7807 ProblemDetails; only genuine faults are 5xx. */
export function installProblemHandling(app: FastifyInstance): void {
  app.setErrorHandler(async (error: FastifyError | ProblemError | Error, request, reply) => {
    const problem = problemOf(error, request);
    if (problem.status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ status: problem.status, detail: problem.detail }, 'request refused');
    return sendProblem(reply, problem);
  });
  app.setNotFoundHandler(async (request, reply) =>
    sendProblem(reply, {
      type: 'https://nfv-mano.local/problems/not-found',
      title: titleForStatus(404),
      status: 404,
      detail: `No resource at ${request.method} ${request.url.split('?')[0]}.`,
      instance: request.url,
    }),
  );
}

export function sendProblem(reply: FastifyReply, problem: ProblemDetails): FastifyReply {
  if (problem.status === 401) reply.header('WWW-Authenticate', 'Bearer');
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem);
}

function problemOf(error: FastifyError | ProblemError | Error, request: FastifyRequest): ProblemDetails {
  const instance = request.url;
  if (error instanceof ProblemError) return error.toProblem(instance);
  if (error instanceof StoreConflictError) {
    return new ProblemError(409, error.message, { type: 'conflict' }).toProblem(instance);
  }
  const fastifyError = error as FastifyError;
  if (Array.isArray(fastifyError.validation)) {
    const part = partOfValidationContext(fastifyError.validationContext);
    const violations = violationsFromAjv(fastifyError.validation as Parameters<typeof violationsFromAjv>[0], part);
    return new ProblemError(400, `The request ${part === 'path' ? 'path' : part} is not valid: ${violations.length} violation(s).`, {
      type: 'validation-failed',
      violations,
    }).toProblem(instance);
  }
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    return {
      type: `https://nfv-mano.local/problems/${(fastifyError.code ?? 'client-error').toLowerCase().replace(/_/g, '-')}`,
      title: titleForStatus(status),
      status,
      detail: fastifyError.message,
      instance,
    };
  }
  return {
    type: 'https://nfv-mano.local/problems/internal-error',
    title: titleForStatus(500),
    status: 500,
    detail: `The server failed to handle the request; its log holds the cause under request id ${request.id}.`,
    instance,
  };
}
