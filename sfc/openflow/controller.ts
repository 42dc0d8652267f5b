import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import net from 'node:net';
import type { Logger, SocketAddress } from '../../platform/index.js';
import { SwitchConnection, type ErrorMessage } from './connection.js';
import type { MessageOf } from './messages.js';

export interface ControllerOptions {
  logger: Logger;
  requestTimeoutMs?: number;
  echoIntervalMs?: number;
}

export interface ControllerEvents {
  switch_up: [SwitchConnection];
  switch_down: [SwitchConnection, string];
  port_status: [SwitchConnection, MessageOf<'port_status'>];
  flow_removed: [SwitchConnection, MessageOf<'flow_removed'>];
  packet_in: [SwitchConnection, MessageOf<'packet_in'>];
  unsolicited_error: [SwitchConnection, ErrorMessage];
}

/**
 * The OpenFlow 1.3 controller endpoint: switches (OVS `set-controller`) connect to it over TCP or a unix
 * socket. Each session is keyed by datapath id once the handshake is done; a switch that reconnects replaces
 * its old session, which is closed. Events of every switch are re-emitted with the switch they came from.
 */
export class OpenFlowController extends EventEmitter<ControllerEvents> {
  private readonly servers: net.Server[] = [];
  private readonly connections = new Set<SwitchConnection>();
  private readonly byDatapath = new Map<bigint, SwitchConnection>();
  private readonly requestTimeoutMs: number;
  private readonly echoIntervalMs: number;

  constructor(private readonly options: ControllerOptions) {
    super();
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10000;
    this.echoIntervalMs = options.echoIntervalMs ?? 5000;
  }

  /** Starts listening; may be called for several addresses. Answers the bound address (port 0 picks one). */
  listen(address: SocketAddress): Promise<net.AddressInfo | string> {
    const server = net.createServer((socket) => this.accept(socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      const listening = (): void => {
        server.off('error', reject);
        this.servers.push(server);
        resolve(server.address() ?? '');
      };
      if ('path' in address) {
        if (fs.existsSync(address.path)) fs.unlinkSync(address.path);
        server.listen(address.path, listening);
      } else {
        server.listen(address.port, address.host, listening);
      }
    });
  }

  /** The ready session of a switch, by datapath id. */
  switch(datapathId: bigint): SwitchConnection | undefined {
    return this.byDatapath.get(datapathId);
  }

  get switches(): SwitchConnection[] {
    return [...this.byDatapath.values()];
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Resolves with the switch's session once it is (or becomes) ready. */
  waitForSwitch(datapathId: bigint, timeoutMs = this.requestTimeoutMs): Promise<SwitchConnection> {
    const ready = this.byDatapath.get(datapathId);
    if (ready) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('switch_up', onUp);
        reject(new Error(`switch ${datapathId.toString(16).padStart(16, '0')} did not connect within ${timeoutMs} ms`));
      }, timeoutMs);
      const onUp = (connection: SwitchConnection): void => {
        if (connection.datapathId !== datapathId) return;
        clearTimeout(timer);
        this.off('switch_up', onUp);
        resolve(connection);
      };
      this.on('switch_up', onUp);
    });
  }

  async close(): Promise<void> {
    for (const connection of this.connections) connection.close('controller shutting down');
    await Promise.all(this.servers.splice(0).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
  }

  private accept(socket: net.Socket): void {
    const connection = new SwitchConnection(socket, {
      logger: this.options.logger,
      requestTimeoutMs: this.requestTimeoutMs,
      echoIntervalMs: this.echoIntervalMs,
    });
    this.connections.add(connection);
    connection.on('ready', () => {
      const datapathId = connection.datapathId as bigint;
      const previous = this.byDatapath.get(datapathId);
      this.byDatapath.set(datapathId, connection);
      if (previous && previous !== connection) previous.close('replaced by a new connection from the same switch');
      this.emit('switch_up', connection);
    });
    connection.on('close', (reason) => {
      this.connections.delete(connection);
      if (connection.datapathId !== undefined && this.byDatapath.get(connection.datapathId) === connection) {
        this.byDatapath.delete(connection.datapathId);
      }
      if (connection.datapathId !== undefined) this.emit('switch_down', connection, reason);
    });
    connection.on('port_status', (message) => this.emit('port_status', connection, message));
    connection.on('flow_removed', (message) => this.emit('flow_removed', connection, message));
    connection.on('packet_in', (message) => this.emit('packet_in', connection, message));
    connection.on('unsolicited_error', (message) => this.emit('unsolicited_error', connection, message));
  }
}
