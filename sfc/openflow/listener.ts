import net from 'node:net';
import type { Logger } from '../../platform/index.js';

/**
 * The OpenFlow 1.3 endpoint that switches (OVS with `set-controller`) connect to. This first cut does the
 * handshake every later message depends on: HELLO with a version bitmap, FEATURES to learn the datapath id,
 * and ECHO replies so that the switch keeps the connection. A message with an impossible length closes that
 * connection, with the reason logged; the process and the other connections carry on.
 */
export const OFP_VERSION_1_3 = 0x04;
const OFP_HEADER_LENGTH = 8;

const MessageType = {
  HELLO: 0,
  ERROR: 1,
  ECHO_REQUEST: 2,
  ECHO_REPLY: 3,
  FEATURES_REQUEST: 5,
  FEATURES_REPLY: 6,
} as const;

export interface SwitchConnectionInfo {
  remote: string;
  datapathId: bigint | undefined;
}

export interface OpenFlowListenerOptions {
  logger: Logger;
  onSwitchReady?: (info: SwitchConnectionInfo) => void;
}

export type ListenAddress = { host: string; port: number } | { path: string };

export class OpenFlowListener {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly options: OpenFlowListenerOptions) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  listen(address: ListenAddress): Promise<net.AddressInfo | string> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      const listening = (): void => {
        this.server.off('error', onError);
        const bound = this.server.address();
        resolve(bound ?? '');
      };
      if ('path' in address) this.server.listen(address.path, listening);
      else this.server.listen(address.port, address.host, listening);
    });
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    const info: SwitchConnectionInfo = { remote: `${socket.remoteAddress ?? 'unix'}:${socket.remotePort ?? ''}`, datapathId: undefined };
    const log = this.options.logger.child({ switch: info.remote });
    log.info('switch connected');
    let buffered: Buffer = Buffer.alloc(0);
    let nextXid = 1;
    const send = (type: number, xid: number, body: Buffer = Buffer.alloc(0)): void => {
      const header = Buffer.alloc(OFP_HEADER_LENGTH);
      header.writeUInt8(OFP_VERSION_1_3, 0);
      header.writeUInt8(type, 1);
      header.writeUInt16BE(OFP_HEADER_LENGTH + body.length, 2);
      header.writeUInt32BE(xid, 4);
      socket.write(Buffer.concat([header, body]));
    };
    // HELLO element "version bitmap" (type 1) advertising OpenFlow 1.3 only.
    const versionBitmap = Buffer.from([0x00, 0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 1 << OFP_VERSION_1_3]);
    send(MessageType.HELLO, nextXid++, versionBitmap);

    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= OFP_HEADER_LENGTH) {
        const length = buffered.readUInt16BE(2);
        if (length < OFP_HEADER_LENGTH) {
          log.warn({ length }, 'closing the connection: message length shorter than the OpenFlow header');
          socket.destroy();
          return;
        }
        if (buffered.length < length) break;
        const message = buffered.subarray(0, length);
        buffered = buffered.subarray(length);
        const type = message.readUInt8(1);
        const xid = message.readUInt32BE(4);
        switch (type) {
          case MessageType.HELLO:
            if (message.readUInt8(0) < OFP_VERSION_1_3) {
              log.warn({ version: message.readUInt8(0) }, 'closing the connection: the switch does not speak OpenFlow 1.3');
              socket.destroy();
              return;
            }
            send(MessageType.FEATURES_REQUEST, nextXid++);
            break;
          case MessageType.ECHO_REQUEST:
            send(MessageType.ECHO_REPLY, xid, message.subarray(OFP_HEADER_LENGTH));
            break;
          case MessageType.FEATURES_REPLY:
            if (message.length >= 16) info.datapathId = message.readBigUInt64BE(8);
            log.info({ datapathId: info.datapathId?.toString(16).padStart(16, '0') }, 'switch ready');
            this.options.onSwitchReady?.(info);
            break;
          case MessageType.ERROR:
            log.warn({ error: message.subarray(OFP_HEADER_LENGTH).toString('hex') }, 'switch reported an error');
            break;
          default:
            log.debug({ type, length }, 'message not handled yet');
        }
      }
    });
    socket.on('error', (error) => log.warn({ err: error }, 'switch connection error'));
    socket.on('close', () => {
      this.sockets.delete(socket);
      log.info('switch disconnected');
    });
  }
}
