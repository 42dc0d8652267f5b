import net from 'node:net';
import { createLogger } from '../../../platform/index.js';
import { decodeMessage, encodeMessage, OpenFlowController, OpenFlowFramer, type OfpMessage, type SwitchConnection } from '../../../sfc/index.js';
import { waitFor } from '../../support/command.js';

/**
 * A switch played by a test over a real TCP connection: it speaks our codec, so the controller's session
 * handling (version negotiation, datapath keys, replacement, keepalive, malformed input) can be driven
 * into the corners a healthy OVS never visits.
 */
class ScriptedSwitch {
  readonly received: OfpMessage[] = [];
  readonly socket: net.Socket;
  closed = false;
  private readonly framer = new OpenFlowFramer();

  constructor(
    port: number,
    private readonly behaviour: { datapathId: bigint; versions?: number[]; answerEcho?: boolean },
  ) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (chunk: Buffer) => {
      for (const frame of this.framer.push(chunk).frames) {
        const decoded = decodeMessage(frame);
        if (decoded.ok) this.onMessage(decoded.message);
      }
    });
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => undefined);
  }

  private onMessage(message: OfpMessage): void {
    this.received.push(message);
    if (message.type === 'hello') this.send({ type: 'hello', xid: 1, versions: this.behaviour.versions ?? [4] });
    if (message.type === 'features_request') {
      this.send({ type: 'features_reply', xid: message.xid, datapathId: this.behaviour.datapathId, nBuffers: 0, nTables: 254, auxiliaryId: 0, capabilities: 0 });
    }
    if (message.type === 'echo_request' && this.behaviour.answerEcho !== false) this.send({ type: 'echo_reply', xid: message.xid, data: message.data });
    if (message.type === 'barrier_request') this.send({ type: 'barrier_reply', xid: message.xid });
  }

  send(message: OfpMessage): void {
    this.socket.write(encodeMessage(message));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

describe('OpenFlow switch sessions', () => {
  let controller: OpenFlowController;
  let port: number;
  const switches: ScriptedSwitch[] = [];
  const connect = (behaviour: ConstructorParameters<typeof ScriptedSwitch>[1]): ScriptedSwitch => {
    const scripted = new ScriptedSwitch(port, behaviour);
    switches.push(scripted);
    return scripted;
  };

  beforeEach(async () => {
    controller = new OpenFlowController({ logger: createLogger('silent'), echoIntervalMs: 200, requestTimeoutMs: 2000 });
    port = ((await controller.listen({ host: '127.0.0.1', port: 0 })) as net.AddressInfo).port;
  });
  afterEach(async () => {
    for (const scripted of switches.splice(0)) scripted.destroy();
    await controller.close();
  });

  it('accepts many switches, each keyed by its datapath id', async () => {
    const ids = [1n, 2n, 3n, 0xfeedn];
    for (const datapathId of ids) connect({ datapathId });
    const sessions = await Promise.all(ids.map((datapathId) => controller.waitForSwitch(datapathId, 5000)));
    expect(sessions.map((session) => session.datapathId)).toEqual(ids);
    expect(controller.switches).toHaveLength(4);
    await sessions[2]!.barrier();
  });

  it('replaces the session of a switch that connects again, closing the old one', async () => {
    const first = connect({ datapathId: 42n });
    const oldSession = await controller.waitForSwitch(42n, 5000);
    const down = new Promise<[SwitchConnection, string]>((resolve) => controller.once('switch_down', (session, reason) => resolve([session, reason])));
    const up = new Promise<SwitchConnection>((resolve) => controller.once('switch_up', resolve));
    connect({ datapathId: 42n });
    const newSession = await up;
    const [closed, reason] = await down;
    expect(closed).toBe(oldSession);
    expect(reason).toMatch(/replaced/);
    expect(controller.switch(42n)).toBe(newSession);
    expect(controller.switches).toHaveLength(1);
    await waitFor('the old TCP connection to be closed', () => (first.closed ? true : undefined));
  });

  it('refuses a switch without OpenFlow 1.3 with HELLO_FAILED', async () => {
    const old = connect({ datapathId: 7n, versions: [1] });
    await waitFor('the connection to be closed', () => (old.closed ? true : undefined));
    expect(old.received.find((message) => message.type === 'error')).toMatchObject({ typeName: 'HELLO_FAILED', codeName: 'INCOMPATIBLE' });
    expect(controller.switch(7n)).toBeUndefined();
  });

  it('closes a connection whose switch stops answering echo, and only that one', async () => {
    const silent = connect({ datapathId: 8n, answerEcho: false });
    const healthy = connect({ datapathId: 9n });
    await controller.waitForSwitch(8n, 5000);
    await controller.waitForSwitch(9n, 5000);
    await waitFor('the silent switch to be dropped', () => (silent.closed ? true : undefined), 3000);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(healthy.closed).toBe(false);
    expect(controller.switch(9n)).toBeDefined();
    expect(healthy.received.filter((message) => message.type === 'echo_request').length).toBeGreaterThan(0);
  });

  it('closes a connection that sends a malformed message, and keeps serving the others', async () => {
    const broken = connect({ datapathId: 10n });
    const healthy = connect({ datapathId: 11n });
    await controller.waitForSwitch(10n, 5000);
    const session = await controller.waitForSwitch(11n, 5000);
    broken.socket.write(Buffer.from('0400000400000001', 'hex'));
    await waitFor('the broken switch to be dropped', () => (broken.closed ? true : undefined));
    // A multipart reply whose length cuts its own header short is malformed too (sent in two pieces).
    const truncated = connect({ datapathId: 12n });
    await controller.waitForSwitch(12n, 5000);
    truncated.socket.write(Buffer.from('0413000c0000', 'hex'));
    truncated.socket.write(Buffer.from('006300010000', 'hex'));
    await waitFor('the truncated switch to be dropped', () => (truncated.closed ? true : undefined), 3000);
    await session.barrier();
    expect(healthy.closed).toBe(false);
  });

  it('fails pending requests when the switch goes away, and times out unanswered ones', async () => {
    const scripted = connect({ datapathId: 13n });
    const session = await controller.waitForSwitch(13n, 5000);
    const unanswered = session.request({ type: 'get_config_request' }, 'get_config_reply', 300);
    await expect(unanswered).rejects.toThrow(/no answer to get_config_request within 300 ms/);
    const pending = session.request({ type: 'get_config_request' }, 'get_config_reply', 5000);
    scripted.destroy();
    await expect(pending).rejects.toThrow(/connection closed/);
  });
});
