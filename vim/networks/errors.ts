import { ProblemError, type Violation } from '../../platform/index.js';

/**
 * The Neutron fault types this API answers with. Neutron clients (python-neutronclient, openstacksdk) read
 * `NeutronError.type` and `NeutronError.message` from an error body; the platform's contract is RFC 7807
 * ProblemDetails, so every error of this API is a ProblemDetails document that also carries a `NeutronError`
 * member, and those clients show the message instead of a bare status line.
 */
export type NeutronFault =
  | 'NetworkNotFound'
  | 'PortNotFound'
  | 'NetworkInUse'
  | 'MacAddressInUse'
  | 'IpAddressInUse'
  | 'VlanIdInUse'
  | 'TunnelIdInUse'
  | 'FlatNetworkInUse'
  | 'NoNetworkAvailable'
  | 'InvalidInput'
  | 'PolicyNotAuthorized'
  | 'HTTPBadRequest'
  | 'HTTPUnauthorized'
  | 'HTTPNotFound'
  | 'HTTPConflict'
  | 'HTTPInternalServerError';

export interface NeutronErrorBody {
  type: NeutronFault;
  message: string;
  detail: string;
}

export function neutronError(status: number, type: NeutronFault, message: string, violations?: Violation[]): ProblemError {
  const slug = type.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
  const body: NeutronErrorBody = { type, message, detail: '' };
  return new ProblemError(status, message, { type: slug, extensions: { NeutronError: body }, ...(violations ? { violations } : {}) });
}

export const networkNotFound = (id: string): ProblemError => neutronError(404, 'NetworkNotFound', `Network ${id} could not be found.`);

export const portNotFound = (id: string): ProblemError => neutronError(404, 'PortNotFound', `Port ${id} could not be found.`);

export const invalidInput = (reason: string, pointer: string): ProblemError =>
  neutronError(400, 'InvalidInput', `Invalid input for operation: ${reason}.`, [{ pointer, message: reason, in: 'body' }]);

export const notAuthorized = (action: string): ProblemError =>
  neutronError(403, 'PolicyNotAuthorized', `(rule:${action}) is disallowed by policy.`);

/** The fault type of a ProblemDetails raised outside this API (validation, auth, store conflicts). */
export function faultOfStatus(status: number): NeutronFault {
  if (status === 400) return 'HTTPBadRequest';
  if (status === 401) return 'HTTPUnauthorized';
  if (status === 404) return 'HTTPNotFound';
  if (status === 409) return 'HTTPConflict';
  return status >= 500 ? 'HTTPInternalServerError' : 'HTTPBadRequest';
}
