/**
 * The SOL 005 calls the example tests and the onboarding benchmark make: create a VNF package, upload its
 * content, wait for onboarding to end; the same for an NSD. Answers the resources as the API shows them.
 */
import type { NsdInfo, VnfPkgInfo } from '../../nfvo/index.js';
import type { ProblemDetails } from '../../platform/index.js';
import { waitFor } from '../support/command.js';

/** `RunningProduct.request`: a fetch against the product with a token. */
export type ApiRequest = (path: string, init?: RequestInit) => Promise<Response>;

export type { NsdInfo, VnfPkgInfo };

/** The reader's errors, as `onboardingFailureDetails` lists them when the content is invalid. */
export type ContentErrors = Array<{ code: string; message: string; file?: string; location?: string }>;

/** The errors a ProblemDetails carries, when it carries the reader's. */
export function contentErrorsOf(problem: ProblemDetails | undefined): ContentErrors {
  return Array.isArray(problem?.errors) ? (problem.errors as ContentErrors) : [];
}

export const VNF_PACKAGES = '/vnfpkgm/v1/vnf_packages';
export const NS_DESCRIPTORS = '/nsd/v1/ns_descriptors';

/** The JSON body of a response with the status expected, or an error that shows what came instead. */
export async function expectJson<T>(response: Response, status: number): Promise<T> {
  const text = await response.text();
  if (response.status !== status) throw new Error(`${response.url}: expected ${status}, got ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

export async function createVnfPackage(request: ApiRequest, userDefinedData: Record<string, unknown> = {}): Promise<VnfPkgInfo> {
  const response = await request(VNF_PACKAGES, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ userDefinedData }) });
  return expectJson<VnfPkgInfo>(response, 201);
}

export async function getVnfPackage(request: ApiRequest, id: string): Promise<VnfPkgInfo> {
  return expectJson<VnfPkgInfo>(await request(`${VNF_PACKAGES}/${id}`), 200);
}

/** `PUT .../package_content` as application/zip: answers the response (202 when the upload is accepted). */
export function uploadPackageContent(request: ApiRequest, id: string, zip: Buffer): Promise<Response> {
  return request(`${VNF_PACKAGES}/${id}/package_content`, { method: 'PUT', headers: { 'Content-Type': 'application/zip' }, body: zip });
}

/** How long to wait for onboarding to end, and how often to look. */
export interface Polling {
  timeoutMs?: number;
  intervalMs?: number;
}

/**
 * Polls until onboarding ends: ONBOARDED, or back to CREATED with the failure's details (SOL 005 v2.6.1 says
 * so of VNF packages and NSDs alike).
 */
function waitForOnboardingEnd<T extends { onboardingFailureDetails?: ProblemDetails }>(
  what: string,
  read: () => Promise<T>,
  stateOf: (resource: T) => string,
  { timeoutMs = 30000, intervalMs = 20 }: Polling,
): Promise<T> {
  return waitFor(
    `${what} to end onboarding`,
    async () => {
      const resource = await read();
      const state = stateOf(resource);
      return state === 'ONBOARDED' || (state === 'CREATED' && resource.onboardingFailureDetails !== undefined) ? resource : undefined;
    },
    timeoutMs,
    intervalMs,
  );
}

export function waitForPackageOnboarding(request: ApiRequest, id: string, polling: Polling = {}): Promise<VnfPkgInfo> {
  return waitForOnboardingEnd(`VNF package ${id}`, () => getVnfPackage(request, id), (pkg) => pkg.onboardingState, polling);
}

/** Create, upload, wait: the package as onboarding left it. */
export async function onboardVnfPackage(request: ApiRequest, zip: Buffer, userDefinedData: Record<string, unknown> = {}, polling: Polling = {}): Promise<VnfPkgInfo> {
  const created = await createVnfPackage(request, userDefinedData);
  const upload = await uploadPackageContent(request, created.id, zip);
  if (upload.status !== 202) throw new Error(`upload of VNF package ${created.id}: expected 202, got ${upload.status}: ${await upload.text()}`);
  return waitForPackageOnboarding(request, created.id, polling);
}

export async function createNsd(request: ApiRequest): Promise<NsdInfo> {
  const response = await request(NS_DESCRIPTORS, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ userDefinedData: {} }) });
  return expectJson<NsdInfo>(response, 201);
}

export async function getNsd(request: ApiRequest, id: string): Promise<NsdInfo> {
  return expectJson<NsdInfo>(await request(`${NS_DESCRIPTORS}/${id}`), 200);
}

export function uploadNsdContent(request: ApiRequest, id: string, zip: Buffer): Promise<Response> {
  return request(`${NS_DESCRIPTORS}/${id}/nsd_content`, { method: 'PUT', headers: { 'Content-Type': 'application/zip' }, body: zip });
}

export function waitForNsdOnboarding(request: ApiRequest, id: string, polling: Polling = {}): Promise<NsdInfo> {
  return waitForOnboardingEnd(`NSD ${id}`, () => getNsd(request, id), (nsd) => nsd.nsdOnboardingState, polling);
}
