/**
 * Traffic generator and receiver run inside a test namespace by test/support/traffic.ts:
 *
 *   ip netns exec <ns> node traffic-agent.mjs <mode> '<json options>'
 *
 * It speaks JSON lines on stdout. Long-running modes (tcp-server, udp-sink) print `{"event":"ready"}` once
 * bound, answer a `report` line on stdin, and exit when stdin closes, so they never outlive the test process
 * that spawned them. One-shot modes (tcp-flows, udp-send) print one `{"event":"result"}` line and exit.
 * Plain JavaScript with no imports from the project: it runs under bare node, without the TypeScript loader.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import readline from 'node:readline';

const [mode, rawOptions] = process.argv.slice(2);
const options = JSON.parse(rawOptions ?? '{}');

function emit(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

/** Calls `onReport` for each `report` line on stdin and `onEnd` when stdin closes. */
function controlledByStdin(onReport, onEnd) {
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === 'report') onReport();
  });
  lines.on('close', onEnd);
}

function tcpServer() {
  const connections = [];
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setTimeout(10000, () => socket.destroy());
    const seen = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, localAddress: socket.localAddress, localPort: socket.localPort };
    connections.push(seen);
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      buffered += chunk;
      const newline = buffered.indexOf('\n');
      if (newline < 0) return;
      const line = buffered.slice(0, newline);
      // The server closes first, so TIME_WAIT lands on the server side and clients may reuse source ports.
      socket.end(`echo ${line} from ${seen.remoteAddress}:${seen.remotePort} to ${seen.localAddress}:${seen.localPort}\n`);
    });
  });
  server.on('error', (error) => {
    emit({ event: 'error', message: error.message });
    process.exit(1);
  });
  server.listen({ host: options.ip, port: options.port }, () => emit({ event: 'ready' }));
  controlledByStdin(
    () => emit({ event: 'report', connections }),
    () => {
      for (const socket of sockets) socket.destroy();
      server.close(() => process.exit(0));
    },
  );
}

function oneFlow(sourcePort, index) {
  const started = Date.now();
  return new Promise((resolve) => {
    let answer = '';
    let settled = false;
    const finish = (ok, error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ index, sourcePort, ok, answer: answer.trim(), ...(error ? { error } : {}), elapsedMs: Date.now() - started });
    };
    const socket = net.connect({ host: options.to, port: options.port, localPort: sourcePort, ...(options.from ? { localAddress: options.from } : {}) });
    const timer = setTimeout(() => finish(false, `timed out after ${options.timeoutMs} ms`), options.timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`flow ${index}\n`));
    socket.on('data', (chunk) => (answer += chunk));
    socket.on('end', () => finish(answer.endsWith('\n'), answer.endsWith('\n') ? undefined : 'closed before a full answer'));
    socket.on('error', (error) => finish(false, error.message));
  });
}

async function tcpFlows() {
  const { sourcePorts, concurrency } = options;
  const results = new Array(sourcePorts.length);
  let next = 0;
  const worker = async () => {
    while (next < sourcePorts.length) {
      const index = next;
      next += 1;
      results[index] = await oneFlow(sourcePorts[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, sourcePorts.length) }, worker));
  emit({ event: 'result', flows: results });
  process.exit(0);
}

/** Datagram payload: 4-byte big-endian sequence number, then padding to `size` bytes. */
async function udpSend() {
  const { to, port, rate, durationMs, size, sourcePort } = options;
  const socket = dgram.createSocket('udp4');
  await new Promise((resolve) => socket.bind({ port: sourcePort ?? 0, ...(options.from ? { address: options.from } : {}) }, resolve));
  const total = Math.floor((rate * durationMs) / 1000);
  const started = Date.now();
  let sent = 0;
  let errors = 0;
  const sendOne = (sequence) =>
    new Promise((resolve) => {
      const payload = Buffer.alloc(Math.max(4, size));
      payload.writeUInt32BE(sequence, 0);
      socket.send(payload, port, to, (error) => {
        if (error) errors += 1;
        resolve();
      });
    });
  // Paced by elapsed time: every tick sends what the schedule says is due, so timer jitter never changes the total.
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) * rate) / 1000) + 1);
    while (sent < due) {
      await sendOne(sent);
      sent += 1;
    }
    if (sent < total) await new Promise((resolve) => setTimeout(resolve, 5));
  }
  socket.close();
  emit({ event: 'result', sent, errors, elapsedMs: Date.now() - started });
  process.exit(0);
}

function udpSink() {
  const sequences = [];
  const socket = dgram.createSocket('udp4');
  socket.on('message', (message) => {
    if (message.length >= 4) sequences.push(message.readUInt32BE(0));
  });
  socket.on('error', (error) => {
    emit({ event: 'error', message: error.message });
    process.exit(1);
  });
  socket.bind({ address: options.ip, port: options.port }, () => emit({ event: 'ready' }));
  controlledByStdin(
    () => emit({ event: 'report', sequences }),
    () => socket.close(() => process.exit(0)),
  );
}

const modes = { 'tcp-server': tcpServer, 'tcp-flows': tcpFlows, 'udp-send': udpSend, 'udp-sink': udpSink };
const selected = modes[mode];
if (!selected) {
  emit({ event: 'error', message: `unknown mode ${mode}` });
  process.exit(2);
}
Promise.resolve(selected()).catch((error) => {
  emit({ event: 'error', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
});
