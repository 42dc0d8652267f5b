import { createHash } from 'node:crypto';
import type { ManifestEntry } from './model.js';
import type { Problems, Site } from './problems.js';

/**
 * Hash claims about package files, wherever they are written (manifest entries, TOSCA.meta blocks), and
 * their verification against the bytes. Algorithm names are read as people write them: `SHA-256`,
 * `sha256`, `SHA256`, `sha-256`.
 */
export type HashAlgorithm = ManifestEntry['algorithm'];

const ALGORITHMS: ReadonlyMap<string, { algorithm: HashAlgorithm; node: string; hexLength: number }> = new Map([
  ['SHA256', { algorithm: 'SHA-256', node: 'sha256', hexLength: 64 }],
  ['SHA384', { algorithm: 'SHA-384', node: 'sha384', hexLength: 96 }],
  ['SHA512', { algorithm: 'SHA-512', node: 'sha512', hexLength: 128 }],
]);

export function hashAlgorithm(written: string): HashAlgorithm | undefined {
  return ALGORITHMS.get(written.trim().toUpperCase().replace(/[-_\s]/g, ''))?.algorithm;
}

export function digest(algorithm: HashAlgorithm, bytes: Buffer): string {
  const spec = ALGORITHMS.get(algorithm.replace('-', ''));
  return createHash(spec?.node ?? 'sha256').update(bytes).digest('hex');
}

/**
 * Whether bytes match a SOL 001 ChecksumData (`sha-224`, `sha-256`, `sha-384`, `sha-512`); undefined when the
 * algorithm is not one of them.
 */
export function matchesChecksumData(algorithm: string, hash: string, bytes: Buffer): boolean | undefined {
  const node = { 'sha-224': 'sha224', 'sha-256': 'sha256', 'sha-384': 'sha384', 'sha-512': 'sha512' }[algorithm.trim().toLowerCase()];
  if (node === undefined) return undefined;
  return createHash(node).update(bytes).digest('hex') === hash.trim().toLowerCase();
}

export function sha256(bytes: Buffer): string {
  return digest('SHA-256', bytes);
}

/** One statement "this file has this hash", with where it was made. */
export interface HashClaim {
  source: string;
  algorithm: string;
  hash: string;
  site: Site;
  /** Who makes the claim, for messages: `the manifest`, `TOSCA.meta`. */
  claimant: string;
}

/** URIs name external artifacts, which are never fetched. */
export const isExternalSource = (source: string): boolean => /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(source);

/**
 * Checks every claim against the package files. Answers the verified checksum of each file, which is what
 * the package reports for its artifacts.
 */
export function verifyHashClaims(
  claims: readonly HashClaim[],
  files: ReadonlyMap<string, Buffer>,
  problems: Problems,
): Map<string, { algorithm: HashAlgorithm; hash: string }> {
  const verified = new Map<string, { algorithm: HashAlgorithm; hash: string }>();
  for (const claim of claims) {
    if (isExternalSource(claim.source)) {
      problems.warn('manifest-external-source', `${claim.claimant} names the external artifact ${claim.source}, which is not fetched nor checked`, claim.site);
      continue;
    }
    const algorithm = hashAlgorithm(claim.algorithm);
    if (!algorithm) {
      problems.error('manifest-algorithm', `${claim.claimant} uses the hash algorithm "${claim.algorithm}" for ${claim.source}; use SHA-256, SHA-384 or SHA-512`, claim.site);
      continue;
    }
    const expectedLength = ALGORITHMS.get(algorithm.replace('-', ''))?.hexLength ?? 0;
    const hash = claim.hash.trim().toLowerCase();
    if (!/^[0-9a-f]+$/.test(hash) || hash.length !== expectedLength) {
      problems.error('manifest-hash-format', `${claim.claimant} gives a ${algorithm} hash for ${claim.source} that is not ${expectedLength} hex digits`, claim.site);
      continue;
    }
    const path = packagePath(claim.source);
    const bytes = path === undefined ? undefined : files.get(path);
    if (path === undefined || bytes === undefined) {
      problems.error('manifest-source-missing', `${claim.claimant} lists ${claim.source}, which is not in the package`, claim.site);
      continue;
    }
    const actual = digest(algorithm, bytes);
    if (actual !== hash) {
      problems.error('manifest-hash-mismatch', `${claim.source} has ${algorithm} ${actual}, but ${claim.claimant} declares ${hash}`, claim.site);
      continue;
    }
    verified.set(path, { algorithm, hash });
  }
  return verified;
}

/** A path as written in package metadata, relative to the package root; undefined when it climbs out. */
export function packagePath(written: string, base = ''): string | undefined {
  const segments = written.startsWith('/') ? [] : base.split('/').filter((segment) => segment !== '');
  for (const segment of written.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) return undefined;
      segments.pop();
    } else {
      segments.push(segment);
    }
  }
  return segments.join('/');
}
