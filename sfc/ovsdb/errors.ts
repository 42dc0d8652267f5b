/**
 * What can go wrong talking to an OVSDB server, as values a caller can act on: retry (conflict, not
 * connected), fix the request (transaction error, usage), or look at the connection (lost, timeout).
 */
import type { FramingFault } from './framer.js';

/** Why a connection to the server ended. */
export type DisconnectReason =
  | { kind: 'closed-by-client' }
  | { kind: 'closed-by-server' }
  | { kind: 'socket-error'; message: string; code: string | undefined }
  | { kind: 'connect-timeout'; timeoutMs: number }
  | { kind: 'keepalive-timeout'; intervalMs: number }
  | { kind: 'framing'; fault: FramingFault }
  | { kind: 'protocol'; message: string }
  | { kind: 'setup-failed'; message: string };

export function describeDisconnect(reason: DisconnectReason): string {
  switch (reason.kind) {
    case 'closed-by-client':
      return 'closed by the client';
    case 'closed-by-server':
      return 'closed by the server';
    case 'socket-error':
      return `socket error${reason.code ? ` ${reason.code}` : ''}: ${reason.message}`;
    case 'connect-timeout':
      return `no connection within ${reason.timeoutMs} ms`;
    case 'keepalive-timeout':
      return `no echo reply within ${reason.intervalMs} ms`;
    case 'framing':
      return `unreadable byte stream: ${describeFramingFault(reason.fault)}`;
    case 'protocol':
      return `protocol violation: ${reason.message}`;
    case 'setup-failed':
      return `session setup failed: ${reason.message}`;
  }
}

export function describeFramingFault(fault: FramingFault): string {
  switch (fault.kind) {
    case 'message-too-large':
      return `a message exceeds ${fault.limitBytes} bytes`;
    case 'not-a-json-object':
      return `byte 0x${fault.byte.toString(16).padStart(2, '0')} where a JSON object should start`;
    case 'invalid-utf8':
      return 'a message is not valid UTF-8';
    case 'invalid-json':
      return `a message is not valid JSON (${fault.message})`;
  }
}

/** The remote is not `tcp:HOST:PORT` or `unix:PATH`. */
export class OvsdbRemoteError extends Error {
  constructor(
    readonly remote: string,
    reason: string,
  ) {
    super(`invalid OVSDB remote "${remote}": ${reason}`);
    this.name = 'OvsdbRemoteError';
  }
}

/** A request made while no session is up. Retry once the client reports `connected`. */
export class OvsdbNotConnectedError extends Error {
  readonly retryable = true;

  constructor(readonly state: string) {
    super(`the OVSDB client is not connected (${state})`);
    this.name = 'OvsdbNotConnectedError';
  }
}

/** The connection ended before the reply came: the request may or may not have been applied. */
export class OvsdbConnectionLostError extends Error {
  constructor(
    readonly method: string,
    readonly reason: DisconnectReason,
  ) {
    super(`the OVSDB connection ended before "${method}" was answered: ${describeDisconnect(reason)}`);
    this.name = 'OvsdbConnectionLostError';
  }
}

export class OvsdbTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}`);
    this.name = 'OvsdbTimeoutError';
  }
}

/** The server refused a request as a whole (JSON-RPC error), e.g. "unknown database" or "unknown monitor". */
export class OvsdbRpcError extends Error {
  constructor(
    readonly method: string,
    readonly error: string,
    readonly details: string | undefined,
  ) {
    super(`OVSDB "${method}" failed: ${error}${details ? `: ${details}` : ''}`);
    this.name = 'OvsdbRpcError';
  }
}

/**
 * One operation of a transaction failed, so the server applied none of them. `operation` is the op name,
 * or `commit` when every operation succeeded and the commit itself failed (constraints, indexes, references
 * are checked then; the server reports that failure one index past the last operation).
 */
export class OvsdbTransactionError extends Error {
  readonly retryable: boolean = false;

  constructor(
    readonly operationIndex: number,
    readonly operation: string,
    readonly table: string | undefined,
    readonly error: string,
    readonly details: string | undefined,
  ) {
    super(
      `OVSDB transaction failed at operation ${operationIndex} (${operation}${table ? ` on ${table}` : ''}): ${error}` +
        (details ? `: ${details}` : ''),
    );
    this.name = 'OvsdbTransactionError';
  }
}

/**
 * A `wait` operation did not hold: someone changed the rows after they were read. Nothing was applied;
 * read the cache again, rebuild the transaction and submit it again.
 */
export class OvsdbConflictError extends OvsdbTransactionError {
  override readonly retryable = true;

  constructor(operationIndex: number, table: string | undefined, error: string, details: string | undefined) {
    super(operationIndex, 'wait', table, error, details);
    this.name = 'OvsdbConflictError';
  }
}

/** The server sent something that is not what RFC 7047 describes (bad JSON-RPC, a malformed datum). */
export class OvsdbProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OvsdbProtocolError';
  }
}

/** A table model of ours does not match the server's schema (missing table or column, other type). */
export class OvsdbSchemaMismatchError extends Error {
  constructor(
    readonly database: string,
    readonly problems: readonly string[],
  ) {
    super(`the ${database} schema of the server does not match our table models: ${problems.join('; ')}`);
    this.name = 'OvsdbSchemaMismatchError';
  }
}

/** A caller asked for something the client cannot do as asked (e.g. watching a table twice). */
export class OvsdbUsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OvsdbUsageError';
  }
}

/** A row the change depends on is not there (any more). */
export class RowNotFoundError extends Error {
  constructor(
    readonly table: string,
    readonly key: string,
  ) {
    super(`no ${table} row "${key}"`);
    this.name = 'RowNotFoundError';
  }
}

/** OVS could not attach an interface (it reports `ofport` -1 and says why in `error`). */
export class InterfaceAttachError extends Error {
  constructor(
    readonly interfaceName: string,
    readonly reason: string | undefined,
  ) {
    super(`Open vSwitch could not attach interface ${interfaceName}${reason ? `: ${reason}` : ''}`);
    this.name = 'InterfaceAttachError';
  }
}
