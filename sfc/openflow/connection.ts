import { EventEmitter } from 'node:events';
import type net from 'node:net';
import type { Logger } from '../../platform/index.js';
import { Writer } from './buffer.js';
import { errorNumbers } from './errors.js';
import { OpenFlowFramer } from './framer.js';
import {
  BUNDLE_FLAGS,
  decodeMessage,
  encodeMessage,
  encodeMessageInto,
  MULTIPART_MORE,
  OFP_VERSION,
  type MessageOf,
  type MultipartReplyBody,
  type MultipartRequestBody,
  type OfpMessage,
  type Outgoing,
} from './messages.js';

export type ErrorMessage = MessageOf<'error'>;

function encodeOne(message: Outgoing, xid: number): Buffer {
  const writer = new Writer(message.type === 'flow_mod' ? 256 : 64);
  encodeMessageInto(writer, message, xid);
  return writer.finish();
}

/** The switch answered a request with an OpenFlow ERROR. */
export class OpenFlowError extends Error {
  constructor(readonly error: ErrorMessage) {
    super(`switch refused the request: ${error.typeName}/${error.codeName}`);
    this.name = 'OpenFlowError';
  }
}

/** A batch (or bundle) in which the switch refused some messages; `failures` name them by their index. */
export class BatchError extends Error {
  constructor(
    readonly failures: Array<{ index: number; error: ErrorMessage }>,
    readonly bundleError?: ErrorMessage,
  ) {
    super(
      `switch refused ${failures.length} message(s): ` +
        failures.map(({ index, error }) => `#${index} ${error.typeName}/${error.codeName}`).join(', ') +
        (bundleError ? `; bundle ${bundleError.typeName}/${bundleError.codeName}` : ''),
    );
    this.name = 'BatchError';
  }
}

export class RequestTimeoutError extends Error {
  constructor(what: string, timeoutMs: number) {
    super(`no answer to ${what} within ${timeoutMs} ms`);
    this.name = 'RequestTimeoutError';
  }
}

export class ConnectionClosedError extends Error {
  constructor(reason: string) {
    super(`switch connection closed: ${reason}`);
    this.name = 'ConnectionClosedError';
  }
}

export interface ConnectionOptions {
  logger: Logger;
  requestTimeoutMs: number;
  /** Idle time after which we send an echo request; no reply within the same time closes the connection. */
  echoIntervalMs: number;
}

interface PendingRequest {
  what: string;
  resolve: (message: OfpMessage) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
  /** Multipart replies arrive in parts; they are gathered until the last one. */
  parts?: MultipartReplyBody[];
}

interface WatchedBatch {
  firstXid: number;
  lastXid: number;
  failures: Array<{ index: number; error: ErrorMessage }>;
}

export type ConnectionState = 'handshaking' | 'ready' | 'closed';

export interface ConnectionEvents {
  ready: [];
  close: [reason: string];
  port_status: [MessageOf<'port_status'>];
  flow_removed: [MessageOf<'flow_removed'>];
  packet_in: [MessageOf<'packet_in'>];
  /** An ERROR that answers nothing we are waiting for. */
  unsolicited_error: [ErrorMessage];
}

/**
 * One switch's OpenFlow 1.3 session: handshake (HELLO with version bitmap, FEATURES), keepalive by echo,
 * request/response by xid with timeouts, multipart reassembly, barrier-confirmed batches and ONF bundles.
 * Malformed input closes this connection with a logged reason and touches nothing else.
 */
export class SwitchConnection extends EventEmitter<ConnectionEvents> {
  state: ConnectionState = 'handshaking';
  datapathId: bigint | undefined;
  features: MessageOf<'features_reply'> | undefined;
  readonly remote: string;
  private readonly framer = new OpenFlowFramer();
  private readonly pending = new Map<number, PendingRequest>();
  private readonly batches: WatchedBatch[] = [];
  private readonly log: Logger;
  private nextXid = 1;
  private nextBundleId = 1;
  private lastReceived = Date.now();
  private echoOutstanding = false;
  private readonly keepalive: NodeJS.Timeout;

  constructor(
    private readonly socket: net.Socket,
    private readonly options: ConnectionOptions,
  ) {
    super();
    this.remote = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : 'unix';
    this.log = options.logger.child({ switch: this.remote });
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.log.warn({ err: error }, 'switch connection error'));
    socket.on('close', () => this.closed('the switch closed the connection'));
    this.keepalive = setInterval(() => this.checkAlive(), Math.max(50, Math.floor(options.echoIntervalMs / 2)));
    this.keepalive.unref();
    this.sendRaw({ type: 'hello', versions: [OFP_VERSION] });
  }

  /** The datapath id as OVS prints it: 16 hex digits. */
  get dpid(): string {
    return (this.datapathId ?? 0n).toString(16).padStart(16, '0');
  }

  /** Sends a message that expects no reply; answers its xid. */
  send(message: Outgoing): number {
    return this.sendRaw(message);
  }

  /** Sends a request and resolves with the reply of the same xid (an ERROR rejects with `OpenFlowError`). */
  request<T extends OfpMessage['type']>(message: Outgoing, replyType: T, timeoutMs = this.options.requestTimeoutMs): Promise<MessageOf<T>> {
    const xid = this.allocateXid();
    const reply = this.awaitReply(xid, message.type, timeoutMs);
    this.write(encodeOne(message, xid));
    return reply.then((answer) => {
      if (answer.type !== replyType) throw new Error(`expected ${replyType} for ${message.type}, got ${answer.type}`);
      return answer as MessageOf<T>;
    });
  }

  /** A multipart request, with every part of the reply gathered. */
  async multipart(body: MultipartRequestBody, timeoutMs = this.options.requestTimeoutMs): Promise<MultipartReplyBody[]> {
    const xid = this.allocateXid();
    const pending = this.awaitReply(xid, `multipart ${body.kind}`, timeoutMs, true);
    this.write(encodeMessage({ type: 'multipart_request', xid, flags: 0, body }));
    const done = await pending;
    return (done as MessageOf<'multipart_reply'> & { parts: MultipartReplyBody[] }).parts;
  }

  async barrier(timeoutMs = this.options.requestTimeoutMs): Promise<void> {
    await this.request({ type: 'barrier_request' }, 'barrier_reply', timeoutMs);
  }

  /**
   * Sends messages (flow_mod, group_mod, ...) in one write followed by a barrier, and resolves once the
   * switch has processed all of them. Errors come back for individual messages before the barrier reply;
   * any error rejects with `BatchError` naming the failed messages. Not atomic: see `bundle`.
   */
  async sendBatch(messages: readonly Outgoing[], timeoutMs = this.options.requestTimeoutMs): Promise<void> {
    if (messages.length === 0) return;
    const writer = new Writer(messages.length * 160);
    const batch: WatchedBatch = { firstXid: this.nextXid, lastXid: this.nextXid, failures: [] };
    for (const message of messages) {
      const xid = this.allocateXid();
      batch.lastXid = xid;
      encodeMessageInto(writer, message, xid);
    }
    this.batches.push(batch);
    const barrierXid = this.allocateXid();
    encodeMessageInto(writer, { type: 'barrier_request' }, barrierXid);
    const barrier = this.awaitReply(barrierXid, 'barrier', timeoutMs);
    this.write(writer.finish());
    try {
      await barrier;
    } finally {
      this.batches.splice(this.batches.indexOf(batch), 1);
    }
    if (batch.failures.length > 0) throw new BatchError(batch.failures);
  }

  /**
   * Applies messages atomically through an ONF bundle (open, add each, commit): the switch applies all of
   * them or none. A refused message makes the commit fail; the rejection names it.
   */
  async bundle(messages: readonly Outgoing[], options: { ordered?: boolean; timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    const bundleId = this.nextBundleId++;
    const flags = BUNDLE_FLAGS.atomic | (options.ordered === false ? 0 : BUNDLE_FLAGS.ordered);
    const control = (controlType: 'open_request' | 'commit_request' | 'discard_request'): Promise<MessageOf<'bundle_control'>> =>
      this.request({ type: 'bundle_control', bundleId, controlType, flags }, 'bundle_control', timeoutMs);

    // Everything is encoded before the bundle opens, so that a value that cannot be encoded leaves no
    // bundle behind on the switch.
    const writer = new Writer(messages.length * 180);
    const batch: WatchedBatch = { firstXid: this.nextXid, lastXid: this.nextXid, failures: [] };
    for (const message of messages) {
      const xid = this.allocateXid();
      batch.lastXid = xid;
      encodeMessageInto(writer, { type: 'bundle_add', bundleId, flags, message }, xid);
    }
    await control('open_request');
    this.batches.push(batch);
    try {
      this.write(writer.finish());
      // Messages the switch refuses while they are added (malformed, impossible) are answered before a
      // barrier; the bundle is then discarded, never committed in part.
      await this.barrier(timeoutMs);
      if (batch.failures.length > 0) {
        await control('discard_request').catch(() => undefined);
        throw new BatchError(batch.failures);
      }
      try {
        await control('commit_request');
      } catch (error) {
        if (!(error instanceof OpenFlowError)) throw error;
        // A commit refused because of one message: its own error precedes the commit's.
        await this.barrier(timeoutMs).catch(() => undefined);
        throw new BatchError(batch.failures, error.error);
      }
    } finally {
      this.batches.splice(this.batches.indexOf(batch), 1);
    }
  }

  close(reason: string): void {
    if (this.state === 'closed') return;
    this.log.info({ reason }, 'closing the switch connection');
    this.socket.destroy();
    this.closed(reason);
  }

  private allocateXid(): number {
    const xid = this.nextXid;
    this.nextXid = this.nextXid >= 0xffffffff ? 1 : this.nextXid + 1;
    return xid;
  }

  private sendRaw(message: Outgoing): number {
    const xid = this.allocateXid();
    this.write(encodeOne(message, xid));
    return xid;
  }

  private write(bytes: Buffer): void {
    if (this.state === 'closed') throw new ConnectionClosedError('cannot send');
    this.socket.write(bytes);
  }

  private awaitReply(xid: number, what: string, timeoutMs: number, multipart = false): Promise<OfpMessage> {
    if (this.state === 'closed') return Promise.reject(new ConnectionClosedError(`cannot send ${what}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(xid);
        reject(new RequestTimeoutError(what, timeoutMs));
      }, timeoutMs);
      this.pending.set(xid, { what, resolve, reject, timer, ...(multipart ? { parts: [] } : {}) });
    });
  }

  private receive(chunk: Buffer): void {
    this.lastReceived = Date.now();
    this.echoOutstanding = false;
    const { frames, error } = this.framer.push(chunk);
    for (const frame of frames) {
      if (this.state === 'closed') return;
      const decoded = decodeMessage(frame);
      if (!decoded.ok) {
        this.log.warn({ reason: decoded.reason, bytes: frame.subarray(0, 64).toString('hex') }, 'closing: malformed message from the switch');
        this.close(`malformed message: ${decoded.reason}`);
        return;
      }
      this.dispatch(decoded.message);
    }
    if (error !== undefined) this.close(error);
  }

  private dispatch(message: OfpMessage): void {
    switch (message.type) {
      case 'hello':
        this.onHello(message);
        return;
      case 'echo_request':
        this.write(encodeMessage({ type: 'echo_reply', xid: message.xid, data: message.data }));
        return;
      case 'port_status':
        this.emit('port_status', message);
        return;
      case 'flow_removed':
        this.emit('flow_removed', message);
        return;
      case 'packet_in':
        this.emit('packet_in', message);
        return;
      case 'error':
        this.onError(message);
        return;
      default:
        this.onReply(message);
    }
  }

  private onHello(message: MessageOf<'hello'>): void {
    if (!message.versions.includes(OFP_VERSION)) {
      const { errorType, code } = errorNumbers('HELLO_FAILED', 'INCOMPATIBLE');
      this.write(encodeMessage({ type: 'error', xid: message.xid, errorType, code, typeName: '', codeName: '', data: Buffer.from('OpenFlow 1.3 only') }));
      this.close(`the switch offers OpenFlow versions ${message.versions.join(', ')}, not 1.3 (0x04)`);
      return;
    }
    this.request({ type: 'features_request' }, 'features_reply').then(
      (features) => {
        this.features = features;
        this.datapathId = features.datapathId;
        this.state = 'ready';
        this.log.info({ datapathId: this.dpid, tables: features.nTables }, 'switch ready');
        this.emit('ready');
      },
      (error: Error) => this.close(`handshake failed: ${error.message}`),
    );
  }

  private onError(message: ErrorMessage): void {
    const pending = this.pending.get(message.xid);
    if (pending) {
      this.settle(message.xid, pending);
      pending.reject(new OpenFlowError(message));
      return;
    }
    const batch = this.batches.find((candidate) => message.xid >= candidate.firstXid && message.xid <= candidate.lastXid);
    if (batch) {
      batch.failures.push({ index: message.xid - batch.firstXid, error: message });
      return;
    }
    this.log.warn({ xid: message.xid, error: `${message.typeName}/${message.codeName}` }, 'switch reported an error');
    this.emit('unsolicited_error', message);
  }

  private onReply(message: OfpMessage): void {
    const pending = this.pending.get(message.xid);
    if (!pending) {
      this.log.debug({ type: message.type, xid: message.xid }, 'message nobody waits for');
      return;
    }
    if (pending.parts && message.type === 'multipart_reply') {
      pending.parts.push(message.body);
      if ((message.flags & MULTIPART_MORE) !== 0) return;
      this.settle(message.xid, pending);
      pending.resolve({ ...message, parts: pending.parts } as OfpMessage);
      return;
    }
    this.settle(message.xid, pending);
    pending.resolve(message);
  }

  private settle(xid: number, pending: PendingRequest): void {
    clearTimeout(pending.timer);
    this.pending.delete(xid);
  }

  private checkAlive(): void {
    if (this.state === 'closed') return;
    const idle = Date.now() - this.lastReceived;
    if (this.echoOutstanding && idle >= this.options.echoIntervalMs * 2) {
      this.close(`no echo reply for ${idle} ms`);
      return;
    }
    if (!this.echoOutstanding && idle >= this.options.echoIntervalMs) {
      this.echoOutstanding = true;
      this.sendRaw({ type: 'echo_request', data: Buffer.alloc(0) });
    }
  }

  private closed(reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    clearInterval(this.keepalive);
    for (const [xid, pending] of this.pending) {
      this.settle(xid, pending);
      pending.reject(new ConnectionClosedError(reason));
    }
    this.emit('close', reason);
  }
}
