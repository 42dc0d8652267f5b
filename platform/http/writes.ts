import type { FastifyInstance } from 'fastify';

/**
 * Calls `listener` after every successful write (POST, PUT, PATCH, DELETE answered 2xx) served by the routes
 * of `scope`: how a context learns that what it derives state from has changed, without polling.
 */
export function onSuccessfulWrite(scope: FastifyInstance, listener: () => void): void {
  scope.addHook('onResponse', async (request, reply) => {
    if (request.method !== 'GET' && request.method !== 'HEAD' && reply.statusCode < 300) listener();
  });
}
