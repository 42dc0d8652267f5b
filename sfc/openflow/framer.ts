import { OFP_HEADER_LENGTH } from './messages.js';

/**
 * Cuts a TCP byte stream into whole OpenFlow messages by their header length. The length field is 16 bits,
 * so at most one partial message (< 64 KiB) is ever buffered. A length shorter than the header cannot be
 * skipped over safely: the stream is then unusable and `push` answers the reason.
 */
export class OpenFlowFramer {
  private pending: Buffer = Buffer.alloc(0);

  get bufferedBytes(): number {
    return this.pending.length;
  }

  push(chunk: Buffer): { frames: Buffer[]; error?: string } {
    let buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    while (buffer.length >= OFP_HEADER_LENGTH) {
      const length = buffer.readUInt16BE(2);
      if (length < OFP_HEADER_LENGTH) {
        this.pending = Buffer.alloc(0);
        return { frames, error: `message length ${length} is shorter than the OpenFlow header` };
      }
      if (buffer.length < length) break;
      frames.push(buffer.subarray(0, length));
      buffer = buffer.subarray(length);
    }
    // Copy the remainder so that a large chunk is not kept alive by a small tail.
    this.pending = buffer.length === 0 ? Buffer.alloc(0) : Buffer.from(buffer);
    return { frames };
  }
}
