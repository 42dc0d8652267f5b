/**
 * JSON-RPC as OVSDB speaks it (RFC 7047 section 4): version 1.0 messages. A request has `method`, `params`
 * (an array) and a non-null `id`; a notification is the same with `"id": null`; a response has `id`,
 * `result` and `error`, one of them null (ovsdb-server may leave `result` out of an error response).
 * Version 2.0 libraries do not fit: ovsdb-server drops a connection whose message has a `jsonrpc` member,
 * and they read `"id": null` as a request and `"result": null` beside an error as a success.
 */

export type Json = null | boolean | number | string | readonly Json[] | JsonObject;
export interface JsonObject {
  readonly [member: string]: Json;
}

export type RpcMessage =
  | { kind: 'request'; id: Json; method: string; params: readonly Json[] }
  | { kind: 'notification'; method: string; params: readonly Json[] }
  | { kind: 'response'; id: Json; result: Json; error: Json };

export function isJsonObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Classifies a framed message; a string says why it is not JSON-RPC 1.0. */
export function readRpcMessage(message: JsonObject): RpcMessage | string {
  const id = message['id'];
  const method = message['method'];
  if (method !== undefined) {
    const params = message['params'];
    if (typeof method !== 'string') return 'a request whose "method" is not a string';
    if (!Array.isArray(params)) return `a "${method}" request whose "params" is not an array`;
    if (id === undefined || id === null) return { kind: 'notification', method, params: params as readonly Json[] };
    return { kind: 'request', id, method, params: params as readonly Json[] };
  }
  if (id === undefined) return 'a message with neither "method" nor "id"';
  const result = message['result'] ?? null;
  const error = message['error'] ?? null;
  if (!('result' in message) && !('error' in message)) return 'a response with neither "result" nor "error"';
  return { kind: 'response', id, result, error };
}

export function requestText(id: number, method: string, params: readonly Json[]): string {
  return JSON.stringify({ id, method, params });
}

export function responseText(id: Json, result: Json, error: Json = null): string {
  return JSON.stringify({ id, result, error });
}

/** The `error` member of an OVSDB error is a short string, sometimes beside `details` (RFC 7047 3.1). */
export function errorParts(error: Json): { error: string; details: string | undefined } {
  if (typeof error === 'string') return { error, details: undefined };
  if (isJsonObject(error)) {
    const details = error['details'];
    return {
      error: typeof error['error'] === 'string' ? error['error'] : JSON.stringify(error),
      details: typeof details === 'string' ? details : undefined,
    };
  }
  return { error: JSON.stringify(error), details: undefined };
}
