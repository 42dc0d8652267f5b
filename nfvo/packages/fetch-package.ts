import fs from 'node:fs';
import net from 'node:net';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { basicAuthorization, type BasicCredentials } from '../../platform/index.js';
import { receiveToFile, type ReceivedFile } from '../content-files.js';

/**
 * `upload_from_uri`: where a package may be fetched from. Only this machine: a file path, or an http(s) URL whose
 * host is a loopback address or `localhost`. Anything else is refused before a byte is fetched, so the NFVO
 * cannot be turned into a client of other hosts.
 */
export type PackageAddress = { kind: 'file'; path: string } | { kind: 'http'; url: URL };

export type PackageAddressCheck = { ok: true; address: PackageAddress } | { ok: false; reason: string };

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  if (net.isIPv4(host)) return host.split('.')[0] === '127';
  return net.isIPv6(host) && (host === '::1' || host === '0:0:0:0:0:0:0:1');
}

export function checkPackageAddress(text: string): PackageAddressCheck {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, reason: `"${text}" is not an absolute URI` };
  }
  if (url.protocol === 'file:') {
    if (url.hostname !== '' && url.hostname !== 'localhost') return { ok: false, reason: `file URIs name no other host than this one, not "${url.hostname}"` };
    return { ok: true, address: { kind: 'file', path: fileURLToPath(url) } };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: `${url.protocol.slice(0, -1)} URIs are not supported (file, http and https are)` };
  if (!isLoopbackHost(url.hostname)) return { ok: false, reason: `packages are fetched from this machine only (127.0.0.0/8, ::1, localhost), not from "${url.hostname}"` };
  return { ok: true, address: { kind: 'http', url } };
}

export interface FetchLimits {
  maxBytes: number;
  timeoutMs: number;
  /** Ends the fetch early (the NFVO is stopping). */
  signal?: AbortSignal;
}

/** Copies the package at the address into `target`, within the limits. */
export async function fetchPackage(
  address: PackageAddress,
  credentials: BasicCredentials | undefined,
  target: string,
  limits: FetchLimits,
): Promise<ReceivedFile> {
  const timeout = AbortSignal.timeout(limits.timeoutMs);
  const signal = limits.signal ? AbortSignal.any([limits.signal, timeout]) : timeout;
  const failed = (reason: string): ReceivedFile => ({ ok: false, tooLarge: false, reason });
  if (address.kind === 'file') {
    let stat: fs.Stats;
    try {
      stat = await fs.promises.stat(address.path);
    } catch (error) {
      return failed(`${address.path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
    }
    if (!stat.isFile()) return failed(`${address.path} is not a regular file.`);
    if (stat.size > limits.maxBytes) return { ok: false, tooLarge: true, reason: `${address.path} is larger than ${limits.maxBytes} bytes.` };
    return receiveToFile(fs.createReadStream(address.path, { signal }), target, limits.maxBytes);
  }
  try {
    const headers: Record<string, string> = { Accept: 'application/zip, application/octet-stream;q=0.9, */*;q=0.1' };
    if (credentials !== undefined) headers.Authorization = basicAuthorization(credentials);
    // Redirects are not followed: a redirect could lead to a host the address check would have refused.
    const response = await fetch(address.url, { headers, redirect: 'manual', signal });
    if (response.status !== 200 || response.body === null) {
      await response.body?.cancel().catch(() => undefined);
      return failed(`GET ${address.url.href} answered ${response.status}${response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : ''}.`);
    }
    const length = Number(response.headers.get('content-length') ?? Number.NaN);
    if (length > limits.maxBytes) {
      await response.body.cancel().catch(() => undefined);
      return { ok: false, tooLarge: true, reason: `${address.url.href} is larger than ${limits.maxBytes} bytes.` };
    }
    const received = await receiveToFile(Readable.fromWeb(response.body as Parameters<typeof Readable.fromWeb>[0]), target, limits.maxBytes);
    if (!received.ok && signal.aborted) return failed(abortReason(address.url, limits, timeout));
    return received;
  } catch (error) {
    if (signal.aborted) return failed(abortReason(address.url, limits, timeout));
    const cause = (error as Error & { cause?: { code?: string } }).cause;
    return failed(`GET ${address.url.href} failed: ${cause?.code ?? (error as Error).message}.`);
  }
}

function abortReason(url: URL, limits: FetchLimits, timeout: AbortSignal): string {
  return timeout.aborted ? `GET ${url.href} took longer than ${limits.timeoutMs} ms.` : `GET ${url.href} was interrupted: the NFVO stopped.`;
}
