import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeMessage, encodeMessage, OpenFlowFramer } from '../../../sfc/index.js';
import { seededRandom as random } from '../../support/random.js';
import { EXAMPLES } from './examples.js';

const FIXTURE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/openflow/ovs-replies.json');
const CORPUS: Buffer[] = [
  ...EXAMPLES.map((message) => encodeMessage(message)),
  ...(JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { frames: Array<{ hex: string }> }).frames.map((frame) => Buffer.from(frame.hex, 'hex')),
];

function mutate(input: Buffer, next: () => number): Buffer {
  const pick = (limit: number): number => Math.floor(next() * limit);
  let bytes = Buffer.from(input);
  const rounds = 1 + pick(4);
  for (let round = 0; round < rounds; round += 1) {
    switch (pick(6)) {
      case 0: // flip a bit
        if (bytes.length > 0) bytes[pick(bytes.length)]! ^= 1 << pick(8);
        break;
      case 1: // a random byte
        if (bytes.length > 0) bytes[pick(bytes.length)] = pick(256);
        break;
      case 2: // cut short
        bytes = bytes.subarray(0, pick(bytes.length + 1));
        break;
      case 3: // grow with junk
        bytes = Buffer.concat([bytes, Buffer.from(Array.from({ length: pick(64) }, () => pick(256)))]);
        break;
      case 4: // a random 16-bit length somewhere (message, match, action, bucket lengths)
        if (bytes.length >= 2) bytes.writeUInt16BE(pick(0x10000), pick(bytes.length - 1));
        break;
      default: // splice another message in
        bytes = Buffer.concat([bytes.subarray(0, pick(bytes.length + 1)), CORPUS[pick(CORPUS.length)]!.subarray(pick(32))]);
    }
  }
  // Keep the header's length consistent half of the time, so that bodies get exercised too.
  if (bytes.length >= 4 && bytes.length <= 0xffff && next() < 0.5) bytes.writeUInt16BE(bytes.length, 2);
  return bytes;
}

describe('OpenFlow decoder and framer under random and mutated input', () => {
  it('never throws, and what it accepts re-encodes to the same meaning', () => {
    const next = random(20261122);
    let accepted = 0;
    for (let iteration = 0; iteration < 30000; iteration += 1) {
      const input = next() < 0.1 ? Buffer.from(Array.from({ length: Math.floor(next() * 200) }, () => Math.floor(next() * 256))) : mutate(CORPUS[Math.floor(next() * CORPUS.length)]!, next);
      const decoded = decodeMessage(input);
      if (!decoded.ok) continue;
      accepted += 1;
      // Decoding is total; encoding what was decoded must work and decode to the same message.
      const again = decodeMessage(encodeMessage(decoded.message));
      expect(again).toEqual(decoded);
    }
    expect(accepted).toBeGreaterThan(1000);
  });

  it('frames any byte stream in any chunking without growing past one message', () => {
    const next = random(7);
    for (let stream = 0; stream < 300; stream += 1) {
      const framer = new OpenFlowFramer();
      const parts = Array.from({ length: 1 + Math.floor(next() * 20) }, () => mutate(CORPUS[Math.floor(next() * CORPUS.length)]!, next));
      const bytes = Buffer.concat(parts);
      let offset = 0;
      while (offset < bytes.length) {
        const size = 1 + Math.floor(next() * 300);
        const { frames, error } = framer.push(bytes.subarray(offset, offset + size));
        offset += size;
        for (const frame of frames) {
          expect(frame.readUInt16BE(2)).toBe(frame.length);
          decodeMessage(frame);
        }
        expect(framer.bufferedBytes).toBeLessThan(0x10000);
        if (error !== undefined) break;
      }
    }
  });
});
