/**
 * Splits the byte stream of an OVSDB connection into JSON objects. RFC 7047 sends JSON-RPC messages back to
 * back with neither delimiter nor length prefix, so the end of a message is where the bracket depth of its
 * first `{` returns to zero. Depth is tracked outside strings (with `\` escapes) on raw bytes: every byte of
 * a multi-byte UTF-8 character is >= 0x80 and can never look like a quote, bracket or backslash, so a
 * character split between two reads needs no special care, and only a complete message is decoded.
 *
 * The framer never throws: a fault is returned, the framer stops, and its owner closes the connection.
 */
import type { JsonObject } from './jsonrpc.js';

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export type FramingFault =
  | { kind: 'message-too-large'; limitBytes: number }
  | { kind: 'not-a-json-object'; byte: number }
  | { kind: 'invalid-utf8' }
  | { kind: 'invalid-json'; message: string };

export interface FramedChunk {
  messages: JsonObject[];
  /** Set once the stream cannot be read any further; messages complete before the fault are still given. */
  fault: FramingFault | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

function isJsonWhitespace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

export class JsonObjectFramer {
  /** Bytes of the message in progress, from reads before the current one. */
  private pieces: Buffer[] = [];
  private piecesLength = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private fault: FramingFault | undefined;
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  constructor(readonly maxMessageBytes: number = DEFAULT_MAX_MESSAGE_BYTES) {}

  /** Bytes held for a message not yet complete; never more than `maxMessageBytes`. */
  get bufferedBytes(): number {
    return this.piecesLength;
  }

  push(chunk: Uint8Array): FramedChunk {
    const messages: JsonObject[] = [];
    if (this.fault) return { messages, fault: this.fault };
    let start = this.depth > 0 ? 0 : -1;
    // The index at which the message in progress would exceed the limit.
    let limitIndex = start + this.maxMessageBytes - this.piecesLength;
    for (let index = 0; index < chunk.length; index++) {
      const byte = chunk[index] as number;
      if (this.depth === 0) {
        if (isJsonWhitespace(byte)) continue;
        if (byte !== OPEN_BRACE) return this.stop({ kind: 'not-a-json-object', byte }, messages);
        this.depth = 1;
        start = index;
        limitIndex = start + this.maxMessageBytes;
        continue;
      }
      if (index >= limitIndex) return this.stop({ kind: 'message-too-large', limitBytes: this.maxMessageBytes }, messages);
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
      } else if (byte === QUOTE) {
        this.inString = true;
      } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        this.depth++;
      } else if ((byte === CLOSE_BRACE || byte === CLOSE_BRACKET) && --this.depth === 0) {
        const message = this.complete(chunk.subarray(start, index + 1));
        if ('kind' in message) return this.stop(message, messages);
        messages.push(message.object);
        start = -1;
      }
    }
    if (this.depth > 0) {
      // Copied: the caller may reuse its buffer once `push` returns.
      const rest = Buffer.from(chunk.subarray(start));
      this.pieces.push(rest);
      this.piecesLength += rest.length;
    }
    return { messages, fault: undefined };
  }

  private complete(tail: Uint8Array): { object: JsonObject } | FramingFault {
    const bytes = this.pieces.length === 0 ? tail : Buffer.concat([...this.pieces, tail]);
    this.pieces = [];
    this.piecesLength = 0;
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      return { kind: 'invalid-utf8' };
    }
    try {
      return { object: JSON.parse(text) as JsonObject };
    } catch (error) {
      return { kind: 'invalid-json', message: (error as Error).message };
    }
  }

  private stop(fault: FramingFault, messages: JsonObject[]): FramedChunk {
    this.fault = fault;
    this.pieces = [];
    this.piecesLength = 0;
    return { messages, fault };
  }
}
