import { hashAlgorithm, type HashClaim } from './checksum.js';
import type { Manifest, ManifestEntry } from './model.js';
import { inFile, type Problems } from './problems.js';
import { splitKeyValue } from './tosca-meta.js';

/**
 * The package manifest (SOL 004 clause 4.3.2): an optional `metadata:` block of `name: value` lines, then
 * one entry per file (`Source:`, `Algorithm:`, `Hash:`, optionally `Signature:` and `Certificate:`), blocks
 * separated by blank lines. A `non_mano_artifact_sets:` block and a trailing CMS signature may follow; both
 * are skipped (signatures are not verified here).
 */
export const VNF_PACKAGE_METADATA = ['vnf_product_name', 'vnf_provider_id', 'vnf_package_version', 'vnf_release_date_time'] as const;
export const NSD_METADATA = ['nsd_designer', 'nsd_invariant_id', 'nsd_name', 'nsd_release_date_time', 'nsd_file_structure_version'] as const;

const ENTRY_KEYS = new Set(['source', 'algorithm', 'hash', 'signature', 'certificate']);

interface ParsedManifest {
  manifest: Manifest;
  hashClaims: HashClaim[];
}

export function parseManifest(path: string, bytes: Buffer, problems: Problems): ParsedManifest {
  const metadata: Record<string, string> = {};
  const claims: Array<{ source: string; algorithm?: string; hash?: string; line: number }> = [];
  let mode: 'top' | 'metadata' | 'skip-indented' | 'signature' = 'top';
  const lines = bytes.toString('utf8').replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((text, index) => {
    const line = index + 1;
    const at = inFile(path, { line, column: 1 });
    if (mode === 'signature') {
      if (/^-----END [A-Z ]+-----$/.test(text.trim())) mode = 'top';
      return;
    }
    if (text.trim() === '') {
      if (mode === 'metadata') mode = 'top';
      return;
    }
    if (mode === 'skip-indented') {
      if (/^\s/.test(text)) return;
      mode = 'top';
    }
    if (/^-----BEGIN [A-Z ]+-----$/.test(text.trim())) {
      mode = 'signature';
      return;
    }
    if (text.trimStart().startsWith('#')) return;
    const pair = splitKeyValue(text.trim());
    if (!pair) {
      problems.error('manifest-syntax', `line ${line} is not "name: value": ${JSON.stringify(text.slice(0, 80))}`, at);
      return;
    }
    const key = pair.key.toLowerCase();
    if (mode === 'metadata') {
      metadata[pair.key] = pair.value;
      return;
    }
    if (key === 'metadata' && pair.value === '') {
      mode = 'metadata';
      return;
    }
    if (key === 'non_mano_artifact_sets' && pair.value === '') {
      mode = 'skip-indented';
      return;
    }
    if (!ENTRY_KEYS.has(key)) {
      problems.error('manifest-syntax', `line ${line}: "${pair.key}" is neither package metadata nor part of a file entry`, at);
      return;
    }
    if (key === 'source') {
      claims.push({ source: pair.value, line });
      return;
    }
    const current = claims[claims.length - 1];
    if (!current) {
      problems.error('manifest-syntax', `line ${line}: "${pair.key}" comes before any "Source:"`, at);
      return;
    }
    if (key === 'algorithm') current.algorithm = pair.value;
    if (key === 'hash') current.hash = pair.value;
  });

  const entries: ManifestEntry[] = [];
  const hashClaims: HashClaim[] = [];
  const sources = new Set<string>();
  for (const claim of claims) {
    const site = inFile(path, { line: claim.line, column: 1 });
    if (sources.has(claim.source)) {
      problems.error('manifest-duplicate-source', `${claim.source} is listed more than once`, site);
      continue;
    }
    sources.add(claim.source);
    if (claim.algorithm === undefined || claim.hash === undefined) {
      problems.error('manifest-incomplete-entry', `the entry for ${claim.source} needs both "Algorithm:" and "Hash:"`, site);
      continue;
    }
    hashClaims.push({ source: claim.source, algorithm: claim.algorithm, hash: claim.hash, site, claimant: 'the manifest' });
    const algorithm = hashAlgorithm(claim.algorithm);
    if (algorithm) entries.push({ source: claim.source, algorithm, hash: claim.hash.trim().toLowerCase() });
  }
  return { manifest: { path, metadata, entries }, hashClaims };
}

/** Warns about SOL 004 package metadata the manifest lacks. */
export function checkManifestMetadata(manifest: Manifest, names: readonly string[], problems: Problems): void {
  const missing = names.filter((name) => !(name in manifest.metadata));
  if (missing.length > 0) {
    problems.warn('manifest-metadata-missing', `the manifest metadata lacks ${missing.join(', ')}`, inFile(manifest.path, { line: 1, column: 1 }));
  }
}
