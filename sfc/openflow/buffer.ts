/**
 * Byte-level reading and writing for the OpenFlow codec. Reading past the end raises `TruncatedError`,
 * which the decoder turns into a decode failure value: nothing here escapes a connection.
 */

export class TruncatedError extends Error {
  constructor(
    readonly offset: number,
    readonly wanted: number,
    readonly available: number,
  ) {
    super(`needs ${wanted} byte(s) at offset ${offset}, only ${available} left`);
    this.name = 'TruncatedError';
  }
}

export class Reader {
  private position: number;

  constructor(
    private readonly buffer: Buffer,
    start = 0,
    private readonly end = buffer.length,
  ) {
    this.position = start;
  }

  get offset(): number {
    return this.position;
  }

  get remaining(): number {
    return this.end - this.position;
  }

  private take(length: number): number {
    if (length < 0 || this.position + length > this.end) throw new TruncatedError(this.position, length, this.remaining);
    const at = this.position;
    this.position += length;
    return at;
  }

  u8(): number {
    return this.buffer.readUInt8(this.take(1));
  }

  u16(): number {
    return this.buffer.readUInt16BE(this.take(2));
  }

  u32(): number {
    return this.buffer.readUInt32BE(this.take(4));
  }

  u64(): bigint {
    return this.buffer.readBigUInt64BE(this.take(8));
  }

  bytes(length: number): Buffer {
    const at = this.take(length);
    return this.buffer.subarray(at, at + length);
  }

  skip(length: number): void {
    this.take(length);
  }

  /** A reader over the next `length` bytes; this reader moves past them. */
  sub(length: number): Reader {
    const at = this.take(length);
    return new Reader(this.buffer, at, at + length);
  }

  rest(): Buffer {
    return this.bytes(this.remaining);
  }
}

/** A growable big-endian writer; `patchU16` fills in lengths once the body is known. */
export class Writer {
  private buffer: Buffer;
  private position = 0;

  constructor(initialSize = 256) {
    this.buffer = Buffer.allocUnsafe(initialSize);
  }

  get length(): number {
    return this.position;
  }

  /** Makes room and answers where to write; callers must not hold `this.buffer` across this call. */
  private reserve(length: number): number {
    if (this.position + length > this.buffer.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.position + length));
      this.buffer.copy(grown, 0, 0, this.position);
      this.buffer = grown;
    }
    const at = this.position;
    this.position += length;
    return at;
  }

  u8(value: number): this {
    const at = this.reserve(1);
    this.buffer[at] = value;
    return this;
  }

  u16(value: number): this {
    const at = this.reserve(2);
    const buffer = this.buffer;
    buffer[at] = value >>> 8;
    buffer[at + 1] = value;
    return this;
  }

  u32(value: number): this {
    const at = this.reserve(4);
    const buffer = this.buffer;
    buffer[at] = value >>> 24;
    buffer[at + 1] = value >>> 16;
    buffer[at + 2] = value >>> 8;
    buffer[at + 3] = value;
    return this;
  }

  u64(value: bigint): this {
    const at = this.reserve(8);
    this.buffer.writeBigUInt64BE(BigInt.asUintN(64, value), at);
    return this;
  }

  bytes(value: Uint8Array): this {
    const at = this.reserve(value.length);
    this.buffer.set(value, at);
    return this;
  }

  zeros(length: number): this {
    const at = this.reserve(length);
    const buffer = this.buffer;
    for (let index = 0; index < length; index += 1) buffer[at + index] = 0;
    return this;
  }

  /** Zero bytes up to the next multiple of `alignment`, counted from `from`. */
  padFrom(from: number, alignment = 8): this {
    const written = this.position - from;
    return this.zeros((alignment - (written % alignment)) % alignment);
  }

  patchU16(at: number, value: number): void {
    this.buffer[at] = value >>> 8;
    this.buffer[at + 1] = value;
  }

  finish(): Buffer {
    return this.buffer.subarray(0, this.position);
  }
}
