import { JsonObjectFramer, type JsonObject } from '../../../sfc/ovsdb/index.js';
import { seededRandom as prng } from '../../support/random.js';

type Random = () => number;
const below = (random: Random, n: number): number => Math.floor(random() * n);
const pick = <T>(random: Random, items: readonly T[]): T => items[below(random, items.length)] as T;

/** Characters that matter to the framer: quotes, backslashes and brackets inside strings, multi-byte UTF-8. */
const STRING_PIECES = ['a', 'é', '€', '𝄞', '{', '}', '[', ']', '"', '\\', '\\"', '\n', ' ', 'iface-id'];

function randomString(random: Random): string {
  let text = '';
  for (let count = below(random, 8); count > 0; count--) text += pick(random, STRING_PIECES);
  return text;
}

function randomValue(random: Random, depth: number): unknown {
  const kind = below(random, depth > 3 ? 4 : 7);
  switch (kind) {
    case 0:
      return randomString(random);
    case 1:
      return below(random, 100000) - 50000;
    case 2:
      return random() < 0.5;
    case 3:
      return null;
    case 4:
      return Array.from({ length: below(random, 4) }, () => randomValue(random, depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: below(random, 4) }, () => [randomString(random), randomValue(random, depth + 1)]));
  }
}

/** JSON-RPC 1.0 shaped messages, as OVSDB sends them. */
function randomMessage(random: Random): JsonObject {
  const shapes = [
    () => ({ id: below(random, 1000), result: randomValue(random, 0), error: null }),
    () => ({ id: null, method: pick(random, ['update', 'update2']), params: ['m1', randomValue(random, 1)] }),
    () => ({ id: 'echo', method: 'echo', params: [] }),
    () => ({ id: below(random, 1000), result: null, error: { error: 'constraint violation', details: randomString(random) } }),
  ];
  return JSON.parse(JSON.stringify(pick(random, shapes)())) as JsonObject;
}

function chunked(random: Random, stream: Buffer): Buffer[] {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < stream.length; ) {
    const size = 1 + below(random, random() < 0.2 ? 3 : 300);
    chunks.push(stream.subarray(offset, offset + size));
    offset += size;
  }
  return chunks;
}

const STRUCTURAL_BYTES = [0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x5c, 0x20, 0xc3, 0xe2, 0xf0, 0x80, 0x00];

function mutate(random: Random, stream: Buffer): Buffer {
  const bytes = [...stream];
  for (let count = 1 + below(random, 6); count > 0; count--) {
    const at = below(random, bytes.length + 1);
    switch (below(random, 5)) {
      case 0:
        bytes[at] = below(random, 256);
        break;
      case 1:
        bytes.splice(at, 0, pick(random, STRUCTURAL_BYTES));
        break;
      case 2:
        bytes.splice(at, 1 + below(random, 10));
        break;
      case 3:
        bytes.splice(at, 0, ...bytes.slice(below(random, bytes.length), below(random, bytes.length)));
        break;
      default:
        bytes.length = at;
    }
  }
  return Buffer.from(bytes);
}

const MAX_MESSAGE_BYTES = 2048;
const STREAMS = 3000;

describe('JSON object framer under random and mutated byte streams', () => {
  it(`survives ${STREAMS} seeded streams: no throw, bounded memory, sticky faults, exact messages from valid streams`, () => {
    const started = performance.now();
    let faults = 0;
    let framedMessages = 0;
    for (let seed = 1; seed <= STREAMS; seed++) {
      const random = prng(seed);
      const originals = Array.from({ length: 1 + below(random, 6) }, () => randomMessage(random));
      const valid = Buffer.from(originals.map((message) => JSON.stringify(message) + pick(random, ['', ' ', '\n', '\r\n\t'])).join(''));
      const kind = seed % 3;
      const stream = kind === 0 ? valid : kind === 1 ? mutate(random, valid) : Buffer.from(Array.from({ length: below(random, 600) }, () => below(random, 256)));

      const framer = new JsonObjectFramer(MAX_MESSAGE_BYTES);
      const messages: JsonObject[] = [];
      let fault: unknown;
      for (const chunk of chunked(random, stream)) {
        let result;
        try {
          result = framer.push(chunk);
        } catch (error) {
          throw new Error(`seed ${seed}: push threw ${(error as Error).message}`);
        }
        if (fault !== undefined && (result.messages.length > 0 || result.fault !== fault)) throw new Error(`seed ${seed}: framer went on after a fault`);
        messages.push(...result.messages);
        fault ??= result.fault;
        if (framer.bufferedBytes > MAX_MESSAGE_BYTES) throw new Error(`seed ${seed}: ${framer.bufferedBytes} bytes buffered`);
      }
      for (const message of messages) {
        if (typeof message !== 'object' || message === null || Array.isArray(message)) throw new Error(`seed ${seed}: framed a non-object`);
      }
      const expectedValid = kind === 0 && valid.length > 0;
      if (expectedValid && originals.every((message) => JSON.stringify(message).length <= MAX_MESSAGE_BYTES)) {
        expect({ seed, messages, fault }).toEqual({ seed, messages: originals, fault: undefined });
      }
      if (fault !== undefined) faults++;
      framedMessages += messages.length;
    }
    // Both paths were exercised: plenty of streams were read to the end, plenty were refused.
    expect(faults).toBeGreaterThan(STREAMS / 4);
    expect(framedMessages).toBeGreaterThan(STREAMS);
    expect(performance.now() - started).toBeLessThan(20000);
  }, 30000);
});
