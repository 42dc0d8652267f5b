import type { FastifyInstance } from 'fastify';

/** Media types of an uploaded archive; `multipart/form-data` carries it as the part named `file`. */
export const ZIP_CONTENT_TYPES = ['application/zip', 'application/x-zip-compressed', 'application/octet-stream'] as const;
export const MULTIPART_CONTENT_TYPE = 'multipart/form-data';
export const UPLOAD_PART_NAME = 'file';

export function mediaTypeOf(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/**
 * In a scope that holds only upload routes: the body reaches the handler as the raw request stream for the given
 * media types, and every other media type is refused with 415 by fastify.
 */
export function acceptRawUploads(scope: FastifyInstance, mediaTypes: readonly string[]): void {
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser([...mediaTypes], (_request, payload, done) => done(null, payload));
}

export type MultipartFile = { ok: true; bytes: Buffer; fileName: string | undefined; contentType: string | undefined } | { ok: false; reason: string };

/** The `file` part of a multipart/form-data body. */
export async function multipartFile(body: Buffer, contentType: string): Promise<MultipartFile> {
  let form: FormData;
  try {
    form = await new Response(body, { headers: { 'Content-Type': contentType } }).formData();
  } catch (error) {
    return { ok: false, reason: `The multipart/form-data body could not be read: ${(error as Error).message}.` };
  }
  const part = form.get(UPLOAD_PART_NAME);
  if (part === null) return { ok: false, reason: `The multipart/form-data body has no part named "${UPLOAD_PART_NAME}".` };
  if (typeof part === 'string') return { ok: true, bytes: Buffer.from(part), fileName: undefined, contentType: undefined };
  return { ok: true, bytes: Buffer.from(await part.arrayBuffer()), fileName: part.name || undefined, contentType: part.type || undefined };
}
