import { neutronProblem, type NeutronErrorBody as PlatformNeutronErrorBody, type ProblemError, type Violation } from '../../platform/index.js';

/** The Neutron fault types this API answers with (see platform/http/neutron.ts for the `NeutronError` member). */
export type NeutronFault =
  | 'NetworkNotFound'
  | 'PortNotFound'
  | 'PortInUse'
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

export type NeutronErrorBody = PlatformNeutronErrorBody<NeutronFault>;

export function neutronError(status: number, type: NeutronFault, message: string, violations?: Violation[]): ProblemError {
  return neutronProblem(status, type, message, violations);
}

export const networkNotFound = (id: string): ProblemError => neutronError(404, 'NetworkNotFound', `Network ${id} could not be found.`);

export const portNotFound = (id: string): ProblemError => neutronError(404, 'PortNotFound', `Port ${id} could not be found.`);

export const invalidInput = (reason: string, pointer: string): ProblemError =>
  neutronError(400, 'InvalidInput', `Invalid input for operation: ${reason}.`, [{ pointer, message: reason, in: 'body' }]);

export const notAuthorized = (action: string): ProblemError =>
  neutronError(403, 'PolicyNotAuthorized', `(rule:${action}) is disallowed by policy.`);
