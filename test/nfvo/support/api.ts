import { startProduct, TEST_TOKEN, TENANT_A_TOKEN, TENANT_B_TOKEN, type RunningProduct } from '../../support/application.js';

export type Json = Record<string, unknown>;

export interface Answer {
  status: number;
  headers: Headers;
  json: Json;
  bytes: Buffer;
}

/** Requests to the product with one token; every answer read whole. */
export function apiAs(product: RunningProduct, token: string) {
  const send = async (path: string, init: RequestInit = {}): Promise<Answer> => {
    const response = await fetch(product.url + path, {
      ...init,
      headers: { Authorization: `Bearer ${token}`, ...((init.headers as Record<string, string> | undefined) ?? {}) },
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    let json: Json = {};
    if (/json/.test(response.headers.get('content-type') ?? '') && bytes.length > 0) json = JSON.parse(bytes.toString('utf8')) as Json;
    return { status: response.status, headers: response.headers, json, bytes };
  };
  return {
    send,
    get: (path: string, headers: Record<string, string> = {}) => send(path, { headers }),
    post: (path: string, body: unknown, headers: Record<string, string> = {}) =>
      send(path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json', ...headers } }),
    patch: (path: string, body: unknown, headers: Record<string, string> = {}) =>
      send(path, { method: 'PATCH', body: JSON.stringify(body), headers: { 'Content-Type': 'application/merge-patch+json', ...headers } }),
    put: (path: string, body: Buffer | string | FormData, contentType?: string) =>
      send(path, { method: 'PUT', body: body as RequestInit['body'], headers: contentType === undefined ? {} : { 'Content-Type': contentType } }),
    delete: (path: string, headers: Record<string, string> = {}) => send(path, { method: 'DELETE', headers }),
  };
}

export type Api = ReturnType<typeof apiAs>;

/** Polls until `probe` answers something, or fails after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 20_000, what = 'the condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export const PACKAGES = '/vnfpkgm/v1/vnf_packages';
export const SUBSCRIPTIONS = '/vnfpkgm/v1/subscriptions';
export const NSDS = '/nsd/v1/ns_descriptors';

export async function createPackage(api: Api, userDefinedData?: Json): Promise<string> {
  const created = await api.post(PACKAGES, userDefinedData === undefined ? {} : { userDefinedData });
  if (created.status !== 201) throw new Error(`create answered ${created.status}: ${created.bytes.toString()}`);
  return created.json.id as string;
}

/** Waits until onboarding has ended (ONBOARDED, or CREATED again with failure details). */
export async function onboardingEnded(api: Api, id: string): Promise<Json> {
  return eventually(async () => {
    const { json } = await api.get(`${PACKAGES}/${id}`);
    const state = json.onboardingState;
    return state === 'ONBOARDED' || (state === 'CREATED' && json.onboardingFailureDetails !== undefined) ? json : undefined;
  }, 20_000, `onboarding of ${id} to end`);
}

/** Creates a package, uploads the zip and waits for the outcome. */
export async function onboard(api: Api, zip: Buffer, contentType = 'application/zip'): Promise<Json> {
  const id = await createPackage(api);
  const upload = await api.put(`${PACKAGES}/${id}/package_content`, zip, contentType);
  if (upload.status !== 202) throw new Error(`upload answered ${upload.status}: ${upload.bytes.toString()}`);
  return onboardingEnded(api, id);
}

export async function disable(api: Api, id: string): Promise<void> {
  const answer = await api.patch(`${PACKAGES}/${id}`, { operationalState: 'DISABLED' });
  if (answer.status !== 200) throw new Error(`disable answered ${answer.status}: ${answer.bytes.toString()}`);
}

export interface ProductWithApis {
  product: RunningProduct;
  admin: Api;
  tenantA: Api;
  tenantB: Api;
}

/** The product started in-process, with a client for the admin tenant and for tenants a and b. */
export async function startWithApis(env: NodeJS.ProcessEnv = {}): Promise<ProductWithApis> {
  const product = await startProduct(env);
  return { product, admin: apiAs(product, TEST_TOKEN), tenantA: apiAs(product, TENANT_A_TOKEN), tenantB: apiAs(product, TENANT_B_TOKEN) };
}
