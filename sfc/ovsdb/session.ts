/**
 * One connection to an OVSDB server: framing, requests matched to replies by id, the server's echo requests
 * answered, and our own echo sent when the line has been quiet for an interval. An echo still unanswered one
 * interval later means the server is gone (a stopped process keeps its socket open), and the session ends.
 *
 * Replies and notifications are dispatched synchronously in the order they arrive, and a request can turn
 * its result into a value right there (`apply`): what a monitor reply puts in the cache is in place before
 * the notifications that follow it in the same read are applied.
 */
import net from 'node:net';
import { JsonObjectFramer } from './framer.js';
import {
  OvsdbConnectionLostError,
  OvsdbProtocolError,
  OvsdbRpcError,
  OvsdbTimeoutError,
  type DisconnectReason,
} from './errors.js';
import { errorParts, readRpcMessage, requestText, responseText, type Json, type JsonObject } from './jsonrpc.js';
import { connectOptions, type OvsdbRemote } from './remote.js';

export interface SessionOptions {
  maxMessageBytes: number;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  /** 0 turns our echo off (the server's echo requests are answered regardless). */
  keepaliveIntervalMs: number;
  /** Throwing (e.g. `OvsdbProtocolError` for a malformed update) ends the session. */
  onNotification: (method: string, params: readonly Json[]) => void;
}

interface PendingRequest {
  method: string;
  apply: (result: Json) => unknown;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

function socketError(error: NodeJS.ErrnoException): DisconnectReason {
  return { kind: 'socket-error', message: error.message, code: error.code };
}

export class OvsdbSession {
  private readonly framer: JsonObjectFramer;
  private readonly pending = new Map<number, PendingRequest>();
  private nextId = 1;
  private reason: DisconnectReason | undefined;
  private heardSinceProbe = false;
  private probeOutstanding = false;
  private readonly keepalive: NodeJS.Timeout | undefined;
  private endSession!: (reason: DisconnectReason) => void;
  /** Resolves once the socket is closed and every pending request has been rejected. */
  readonly closed: Promise<DisconnectReason>;

  /** Connects; answers the session, or why there is none. Aborting the signal gives up at once. */
  static open(remote: OvsdbRemote, options: SessionOptions, signal: AbortSignal): Promise<OvsdbSession | DisconnectReason> {
    return new Promise((resolve) => {
      const socket = net.createConnection(connectOptions(remote));
      const settle = (outcome: OvsdbSession | DisconnectReason): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        socket.off('error', onError);
        if (!(outcome instanceof OvsdbSession)) socket.destroy();
        resolve(outcome);
      };
      const onError = (error: NodeJS.ErrnoException): void => settle(socketError(error));
      const onAbort = (): void => settle({ kind: 'closed-by-client' });
      const timer = setTimeout(() => settle({ kind: 'connect-timeout', timeoutMs: options.connectTimeoutMs }), options.connectTimeoutMs);
      socket.once('error', onError);
      socket.once('connect', () => settle(new OvsdbSession(socket, options)));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort);
    });
  }

  private constructor(
    private readonly socket: net.Socket,
    private readonly options: SessionOptions,
  ) {
    this.framer = new JsonObjectFramer(options.maxMessageBytes);
    this.closed = new Promise((resolve) => (this.endSession = resolve));
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (this.reason ??= socketError(error)));
    socket.on('close', () => this.finish());
    if (options.keepaliveIntervalMs > 0) this.keepalive = setInterval(() => this.probe(), options.keepaliveIntervalMs);
  }

  get isOpen(): boolean {
    return this.reason === undefined;
  }

  /** Sends a request; `apply` turns the result into the answer as soon as the reply is read. */
  request<T = Json>(method: string, params: readonly Json[], apply?: (result: Json) => T): Promise<T> {
    if (this.reason) return Promise.reject(new OvsdbConnectionLostError(method, this.reason));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new OvsdbTimeoutError(`the reply to "${method}"`, this.options.requestTimeoutMs));
      }, this.options.requestTimeoutMs);
      this.pending.set(id, { method, apply: apply ?? ((result) => result), resolve: resolve as (value: unknown) => void, reject, timer });
      this.socket.write(requestText(id, method, params));
    });
  }

  close(reason: DisconnectReason = { kind: 'closed-by-client' }): void {
    if (this.reason) return;
    this.reason = reason;
    this.socket.destroy();
  }

  private receive(chunk: Buffer): void {
    this.heardSinceProbe = true;
    const { messages, fault } = this.framer.push(chunk);
    for (const message of messages) {
      if (this.reason) return;
      this.dispatch(message);
    }
    if (fault) this.close({ kind: 'framing', fault });
  }

  private dispatch(object: JsonObject): void {
    const message = readRpcMessage(object);
    if (typeof message === 'string') return this.close({ kind: 'protocol', message });
    switch (message.kind) {
      case 'request':
        if (message.method === 'echo') this.socket.write(responseText(message.id, message.params));
        else this.socket.write(responseText(message.id, null, 'unknown method'));
        return;
      case 'notification':
        try {
          this.options.onNotification(message.method, message.params);
        } catch (error) {
          this.close({ kind: 'protocol', message: `${message.method}: ${(error as Error).message}` });
        }
        return;
      case 'response': {
        const request = typeof message.id === 'number' ? this.pending.get(message.id) : undefined;
        // A reply without a pending request is one we stopped waiting for (timed out).
        if (!request) return;
        this.pending.delete(message.id as number);
        clearTimeout(request.timer);
        if (message.error !== null) {
          const { error, details } = errorParts(message.error);
          request.reject(new OvsdbRpcError(request.method, error, details));
          return;
        }
        try {
          request.resolve(request.apply(message.result));
        } catch (error) {
          request.reject(error instanceof Error ? error : new OvsdbProtocolError(String(error)));
        }
      }
    }
  }

  private probe(): void {
    if (this.probeOutstanding) return this.close({ kind: 'keepalive-timeout', intervalMs: this.options.keepaliveIntervalMs });
    if (this.heardSinceProbe) {
      this.heardSinceProbe = false;
      return;
    }
    this.probeOutstanding = true;
    this.request('echo', []).then(
      () => (this.probeOutstanding = false),
      () => undefined,
    );
  }

  private finish(): void {
    const reason = (this.reason ??= { kind: 'closed-by-server' });
    clearInterval(this.keepalive);
    for (const request of this.pending.values()) {
      clearTimeout(request.timer);
      request.reject(new OvsdbConnectionLostError(request.method, reason));
    }
    this.pending.clear();
    this.endSession(reason);
  }
}
