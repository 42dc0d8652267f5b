import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ProblemError } from '../../platform/index.js';

/**
 * Serving stored content (packages, descriptors, artifacts): content negotiation on `Accept` and single byte
 * ranges (RFC 9110 clause 14) with 206 Partial Content and 416 Range Not Satisfiable.
 */

/** An inclusive byte range within a content of known size. */
export interface ByteRange {
  start: number;
  end: number;
}

interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const [mediaType = '', ...parameters] = part.split(';').map((piece) => piece.trim());
      const [type = '', subtype = '*'] = mediaType.toLowerCase().split('/');
      const qParameter = parameters.find((parameter) => /^q=/i.test(parameter));
      const q = qParameter === undefined ? 1 : Number(qParameter.slice(2));
      return { type, subtype, q: Number.isFinite(q) ? q : 0 };
    });
}

function qualityOf(offered: string, ranges: readonly MediaRange[]): number {
  const [type, subtype] = offered.split('/');
  let best: { specificity: number; q: number } = { specificity: -1, q: 0 };
  for (const range of ranges) {
    const specificity = range.type === type && range.subtype === subtype ? 2 : range.type === type && range.subtype === '*' ? 1 : range.type === '*' ? 0 : -1;
    if (specificity > best.specificity) best = { specificity, q: range.q };
  }
  return best.q;
}

/** The offered media type the client accepts best (ties go to the earlier offer); undefined when none is acceptable. */
export function negotiate(acceptHeader: string | undefined, offered: readonly string[]): string | undefined {
  if (acceptHeader === undefined || acceptHeader.trim() === '') return offered[0];
  const ranges = parseAccept(acceptHeader);
  let chosen: { type: string; q: number } | undefined;
  for (const type of offered) {
    const q = qualityOf(type, ranges);
    if (q > 0 && (chosen === undefined || q > chosen.q)) chosen = { type, q };
  }
  return chosen?.type;
}

export function notAcceptable(detail: string): ProblemError {
  return new ProblemError(406, detail);
}

/**
 * The range a `Range` header asks for. A header this server does not use (another unit, several ranges, bad
 * syntax) is ignored, as RFC 9110 allows: the whole content is sent. A range that starts past the end is a 416.
 */
export function requestedRange(header: string | undefined, size: number, reply: FastifyReply): ByteRange | undefined {
  if (header === undefined) return undefined;
  const match = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const first = match[1] === '' ? undefined : Number(match[1]);
  const last = match[2] === '' ? undefined : Number(match[2]);
  let range: ByteRange | undefined;
  if (first === undefined) {
    const suffix = last as number;
    if (suffix > 0 && size > 0) range = { start: Math.max(size - suffix, 0), end: size - 1 };
  } else if (last !== undefined && last < first) {
    return undefined;
  } else if (first < size) {
    range = { start: first, end: Math.min(last ?? size - 1, size - 1) };
  }
  if (range === undefined) {
    reply.header('Content-Range', `bytes */${size}`);
    throw new ProblemError(416, `The range "${header}" lies outside the content, which has ${size} bytes.`);
  }
  return range;
}

export interface StoredContent {
  contentType: string;
  size: number;
  /** The bytes from `start` to `end` inclusive. */
  read(range: ByteRange): Promise<Readable | Buffer>;
  fileName?: string;
}

/** Sends content whole (200) or the one range asked for (206), always offering ranges. */
export async function sendContent(request: FastifyRequest, reply: FastifyReply, content: StoredContent): Promise<FastifyReply> {
  const range = requestedRange(request.headers.range, content.size, reply);
  reply.header('Accept-Ranges', 'bytes');
  if (content.fileName !== undefined) reply.header('Content-Disposition', `attachment; filename="${content.fileName.replace(/["\\\r\n]/g, '_')}"`);
  // The exact media type, with no charset added: clients such as python-tackerclient compare it as a string.
  reply.header('Content-Type', content.contentType);
  if (range === undefined) {
    reply.code(200).header('Content-Length', content.size);
    return reply.send(content.size === 0 ? Buffer.alloc(0) : await content.read({ start: 0, end: content.size - 1 }));
  }
  reply
    .code(206)
    .header('Content-Range', `bytes ${range.start}-${range.end}/${content.size}`)
    .header('Content-Length', range.end - range.start + 1);
  return reply.send(await content.read(range));
}

/** Content held in memory (small descriptor files and zips built on request). */
export function bufferContent(bytes: Buffer, contentType: string, fileName?: string): StoredContent {
  const content: StoredContent = { contentType, size: bytes.length, read: async ({ start, end }) => bytes.subarray(start, end + 1) };
  if (fileName !== undefined) content.fileName = fileName;
  return content;
}
