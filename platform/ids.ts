import crypto from 'node:crypto';

/**
 * A UUID-shaped id derived from its parts (SHA-256, RFC 9562 version 8 layout): a step that creates a resource
 * under such an id finds it again when it runs a second time after a crash, instead of creating a twin.
 */
export function derivedId(...parts: readonly string[]): string {
  const hash = crypto.createHash('sha256').update(parts.join('\u0000')).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x80;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
