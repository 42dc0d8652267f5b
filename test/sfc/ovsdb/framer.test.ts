import { JsonObjectFramer, type FramedChunk, type JsonObject } from '../../../sfc/ovsdb/index.js';

const bytes = (text: string): Buffer => Buffer.from(text, 'utf8');

/** Feeds the chunks in order; answers every message and the first fault. */
function feed(framer: JsonObjectFramer, chunks: readonly Uint8Array[]): FramedChunk {
  const messages: JsonObject[] = [];
  for (const chunk of chunks) {
    const result = framer.push(chunk);
    messages.push(...result.messages);
    if (result.fault) return { messages, fault: result.fault };
  }
  return { messages, fault: undefined };
}

function splitAt(buffer: Buffer, ...offsets: number[]): Buffer[] {
  const bounds = [0, ...offsets, buffer.length];
  return bounds.slice(1).map((end, index) => buffer.subarray(bounds[index], end));
}

describe('JSON object framer for OVSDB byte streams', () => {
  const update = { id: null, method: 'update2', params: ['m1', { Port: { 'c1d3…': { insert: { name: 'p1', tag: 7 } } } }] };

  it('reassembles a message split at every possible byte boundary', () => {
    const wire = bytes(JSON.stringify(update));
    for (let offset = 1; offset < wire.length; offset++) {
      const framer = new JsonObjectFramer();
      const first = framer.push(wire.subarray(0, offset));
      expect(first.messages).toEqual([]);
      expect(framer.bufferedBytes).toBe(offset);
      const second = framer.push(wire.subarray(offset));
      expect(second).toEqual({ messages: [update], fault: undefined });
      expect(framer.bufferedBytes).toBe(0);
    }
  });

  it('splits several back-to-back messages from one chunk, with or without whitespace between them', () => {
    const replies = [
      { id: 1, result: ['Open_vSwitch', '_Server'], error: null },
      { id: 2, result: {}, error: null },
      { id: 'echo', method: 'echo', params: [] },
    ];
    const glued = bytes(replies.map((reply) => JSON.stringify(reply)).join(''));
    expect(new JsonObjectFramer().push(glued)).toEqual({ messages: replies, fault: undefined });
    const spaced = bytes(replies.map((reply) => JSON.stringify(reply, null, 2)).join('\n \r\t'));
    expect(new JsonObjectFramer().push(spaced)).toEqual({ messages: replies, fault: undefined });
  });

  it('keeps the tail of a chunk that ends inside the next message', () => {
    const framer = new JsonObjectFramer();
    const wire = bytes('{"id":1,"result":[],"error":null}{"id":2,"res');
    expect(framer.push(wire).messages).toEqual([{ id: 1, result: [], error: null }]);
    expect(framer.bufferedBytes).toBe('{"id":2,"res'.length);
    expect(framer.push(bytes('ult":[],"error":null}')).messages).toEqual([{ id: 2, result: [], error: null }]);
  });

  it('frames a reply of several megabytes delivered in socket-sized chunks', () => {
    const rows: Record<string, unknown> = {};
    for (let index = 0; index < 20000; index++) {
      rows[`00000000-0000-0000-0000-${String(index).padStart(12, '0')}`] = {
        initial: { name: `port-${index}`, external_ids: ['map', [['iface-id', `vnf-${index}-cp0`], ['note', 'x'.repeat(200)]]] },
      };
    }
    const reply = { id: 7, result: { Port: rows }, error: null };
    const wire = bytes(JSON.stringify(reply));
    expect(wire.length).toBeGreaterThan(4 * 1024 * 1024);
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < wire.length; offset += 65536) chunks.push(wire.subarray(offset, offset + 65536));
    const framer = new JsonObjectFramer(8 * 1024 * 1024);
    const started = performance.now();
    const { messages, fault } = feed(framer, chunks);
    expect(fault).toBeUndefined();
    expect(messages).toEqual([reply]);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('decodes multi-byte UTF-8 characters split across chunks, only once the message is complete', () => {
    const message = { id: 3, result: ['é', '€', '𝄞', 'ĉu ŝi?'], error: null };
    const wire = bytes(JSON.stringify(message));
    const multiByteOffsets = [...wire.keys()].filter((offset) => (wire[offset] as number) >= 0x80);
    expect(multiByteOffsets.length).toBeGreaterThan(8);
    for (const offset of multiByteOffsets) {
      expect(feed(new JsonObjectFramer(), splitAt(wire, offset))).toEqual({ messages: [message], fault: undefined });
    }
    // One byte at a time: every character is cut somewhere.
    const oneByOne = [...wire].map((byte) => Uint8Array.of(byte));
    expect(feed(new JsonObjectFramer(), oneByOne)).toEqual({ messages: [message], fault: undefined });
  });

  it('ignores braces, brackets and escaped quotes inside strings', () => {
    const tricky = { id: 4, result: ['}{', '"}', '\\', '\\"}]', '{"not":"a message"}', '[[[', 'a\\\\"b'], error: null };
    const next = { id: 5, result: [], error: null };
    const wire = bytes(JSON.stringify(tricky) + JSON.stringify(next));
    expect(wire.toString()).toContain('\\\\\\"}]');
    for (let offset = 1; offset < wire.length; offset++) {
      expect(feed(new JsonObjectFramer(), splitAt(wire, offset))).toEqual({ messages: [tricky, next], fault: undefined });
    }
  });

  it('reports a stream that does not start a JSON object, after the messages that came before it', () => {
    const framer = new JsonObjectFramer();
    const result = framer.push(bytes('{"id":1,"result":[],"error":null} HTTP/1.1 400 Bad Request\r\n'));
    expect(result).toEqual({ messages: [{ id: 1, result: [], error: null }], fault: { kind: 'not-a-json-object', byte: 0x48 } });
    expect(new JsonObjectFramer().push(bytes('[1,2]')).fault).toEqual({ kind: 'not-a-json-object', byte: 0x5b });
  });

  it('reports invalid JSON and invalid UTF-8 in a complete message', () => {
    expect(new JsonObjectFramer().push(bytes('{"id":1,]')).fault).toMatchObject({ kind: 'invalid-json' });
    expect(new JsonObjectFramer().push(Buffer.concat([bytes('{"a":"'), Buffer.from([0xc3, 0x28]), bytes('"}')])).fault).toEqual({ kind: 'invalid-utf8' });
  });

  it('refuses a message over the maximum before buffering it, and accepts one of exactly the maximum', () => {
    const exact = bytes(`{"a":"${'x'.repeat(100 - 8)}"}`);
    expect(exact.length).toBe(100);
    expect(new JsonObjectFramer(100).push(exact).messages).toHaveLength(1);

    const framer = new JsonObjectFramer(100);
    expect(framer.push(exact.subarray(0, 60)).fault).toBeUndefined();
    const over = framer.push(bytes(`${'y'.repeat(60)}"}`));
    expect(over.fault).toEqual({ kind: 'message-too-large', limitBytes: 100 });
    expect(framer.bufferedBytes).toBe(0);
  });

  it('stays stopped after a fault: later bytes give no messages', () => {
    const framer = new JsonObjectFramer();
    expect(framer.push(bytes('garbage')).fault).toEqual({ kind: 'not-a-json-object', byte: 0x67 });
    expect(framer.push(bytes('{"id":1,"result":[],"error":null}'))).toEqual({ messages: [], fault: { kind: 'not-a-json-object', byte: 0x67 } });
  });
});
