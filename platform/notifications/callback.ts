/**
 * The notification endpoint of a subscriber (SOL 013 clause 5.8 / 8): its URI checked before a subscription is
 * stored, the GET test the API producer makes before creating a subscription, and the POST of one notification.
 * Failures are values: the outbox and the subscription routes decide what a failure means.
 */

/** HTTP Basic credentials of SOL 013 SubscriptionAuthentication.paramsBasic. */
export interface BasicCredentials {
  userName: string;
  password: string;
}

export type CallbackUriCheck = { ok: true; uri: URL } | { ok: false; reason: string };

const MAX_CALLBACK_URI_LENGTH = 2048;

/** Any absolute http(s) URI with a host, without credentials (those belong in `authentication`) or a fragment. */
export function checkCallbackUri(text: string): CallbackUriCheck {
  if (text.length > MAX_CALLBACK_URI_LENGTH) return { ok: false, reason: `is longer than ${MAX_CALLBACK_URI_LENGTH} characters` };
  let uri: URL;
  try {
    uri = new URL(text);
  } catch {
    return { ok: false, reason: 'is not an absolute URI' };
  }
  if (uri.protocol !== 'http:' && uri.protocol !== 'https:') return { ok: false, reason: `uses ${uri.protocol.slice(0, -1)}, not http or https` };
  if (uri.hostname === '') return { ok: false, reason: 'names no host' };
  if (uri.username !== '' || uri.password !== '') {
    return { ok: false, reason: 'carries credentials; give them in "authentication" instead' };
  }
  if (uri.hash !== '') return { ok: false, reason: 'has a fragment' };
  return { ok: true, uri };
}

export function basicAuthorization(credentials: BasicCredentials): string {
  return `Basic ${Buffer.from(`${credentials.userName}:${credentials.password}`).toString('base64')}`;
}

export type EndpointOutcome = { ok: true; status: number } | { ok: false; reason: string; status?: number };

/** SOL 013 clause 5.8.1: the producer tests a notification endpoint with a GET that must answer 204 No Content. */
export async function testNotificationEndpoint(uri: string, authorization: string | undefined, timeoutMs: number): Promise<EndpointOutcome> {
  return exchange(uri, { method: 'GET', headers: headersWith(authorization, {}) }, timeoutMs, undefined, (status) => status === 204);
}

/** POSTs one notification; any 2xx answer counts as delivered (SOL 013 asks for 204). */
export async function postNotification(
  uri: string,
  notification: unknown,
  authorization: string | undefined,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<EndpointOutcome> {
  return exchange(
    uri,
    {
      method: 'POST',
      headers: headersWith(authorization, { 'Content-Type': 'application/json', Accept: 'application/json' }),
      body: JSON.stringify(notification),
    },
    timeoutMs,
    signal,
    (status) => status >= 200 && status < 300,
  );
}

function headersWith(authorization: string | undefined, headers: Record<string, string>): Record<string, string> {
  return authorization === undefined ? headers : { ...headers, Authorization: authorization };
}

async function exchange(
  uri: string,
  init: RequestInit,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  accepted: (status: number) => boolean,
): Promise<EndpointOutcome> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    // Redirects are not followed: the subscriber named this endpoint, not another one.
    const response = await fetch(uri, { ...init, redirect: 'manual', signal: signal ? AbortSignal.any([signal, timeout]) : timeout });
    await response.body?.cancel().catch(() => undefined);
    if (accepted(response.status)) return { ok: true, status: response.status };
    return { ok: false, status: response.status, reason: `${init.method} ${uri} answered ${response.status}` };
  } catch (error) {
    if (timeout.aborted) return { ok: false, reason: `${init.method} ${uri} did not answer within ${timeoutMs} ms` };
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return { ok: false, reason: `${init.method} ${uri} failed: ${cause?.code ?? cause?.message ?? (error as Error).message}` };
  }
}
