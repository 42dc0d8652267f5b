import type { FastifyReply } from 'fastify';
import { PROBLEM_CONTENT_TYPE, ProblemError } from '../../platform/index.js';

/**
 * The fault types networking-sfc and the Traffic Steering API answer with. As for the VIM's Neutron API,
 * every error is a ProblemDetails document that also carries a `NeutronError` member, so that OpenStack
 * clients (python-neutronclient's `openstack sfc ...`) show the message rather than a bare status line.
 */
export type SfcFault =
  | 'FlowClassifierNotFound'
  | 'FlowClassifierPortNotFound'
  | 'FlowClassifierInvalidPortRange'
  | 'FlowClassifierInvalidPortValue'
  | 'FlowClassifierInvalidProtocol'
  | 'FlowClassifierProtocolRequiredWithPorts'
  | 'FlowClassifierIpPrefixFormatConflictWithEthertype'
  | 'FlowClassifierInvalidL7Parameter'
  | 'FlowClassifierInUse'
  | 'PortPairNotFound'
  | 'PortPairPortNotFound'
  | 'PortPairIngressNoHost'
  | 'PortPairEgressNoHost'
  | 'PortPairIngressEgressDifferentHost'
  | 'PortPairIngressEgressInUse'
  | 'PortPairInUse'
  | 'PortPairGroupNotFound'
  | 'PortPairGroupInUse'
  | 'PortPairGroupNotSpecified'
  | 'InconsistentCorrelations'
  | 'PPGParametersInvalidNTupleMappingParameter'
  | 'PortChainNotFound'
  | 'PortChainFlowClassifierInConflict'
  | 'PortChainChainIdInConflict'
  | 'PortChainUnavailableChainId'
  | 'ServiceGraphNotFound'
  | 'ServiceGraphPortChainInUse'
  | 'ServiceGraphLoopDetected'
  | 'ClassifierNotFound'
  | 'ClassifierInUse'
  | 'PortNotFound'
  | 'PolicyNotAuthorized'
  | 'InvalidInput'
  | 'HTTPBadRequest'
  | 'HTTPUnauthorized'
  | 'HTTPNotFound'
  | 'HTTPConflict'
  | 'HTTPInternalServerError';

export interface NeutronErrorBody {
  type: SfcFault;
  message: string;
  detail: string;
}

/** A refusal with its Neutron fault type; `pointer` names the offending body member. */
export function sfcError(status: 400 | 403 | 404 | 409, type: SfcFault, message: string, pointer?: string): ProblemError {
  const slug = type.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
  const body: NeutronErrorBody = { type, message, detail: '' };
  const violations = pointer === undefined ? undefined : [{ pointer, message, in: 'body' as const }];
  return new ProblemError(status, message, { type: slug, extensions: { NeutronError: body }, ...(violations ? { violations } : {}) });
}

export const invalidInput = (reason: string, pointer: string): ProblemError =>
  sfcError(400, 'InvalidInput', `Invalid input for operation: ${reason}.`, pointer);

function faultOfStatus(status: number): SfcFault {
  if (status === 401) return 'HTTPUnauthorized';
  if (status === 404) return 'HTTPNotFound';
  if (status === 409) return 'HTTPConflict';
  return status >= 500 ? 'HTTPInternalServerError' : 'HTTPBadRequest';
}

/** Failures raised before a handler runs (schema validation, auth) get their `NeutronError` member here. */
export function withNeutronError(reply: FastifyReply, payload: unknown): unknown {
  const isProblem = String(reply.getHeader('content-type') ?? '').startsWith(PROBLEM_CONTENT_TYPE);
  if (reply.statusCode < 400 || typeof payload !== 'string' || !isProblem) return payload;
  const problem = JSON.parse(payload) as { detail?: string; violations?: Array<{ pointer: string; message: string }>; NeutronError?: unknown };
  if (problem.NeutronError !== undefined) return payload;
  const reasons = (problem.violations ?? []).map(({ pointer, message }) => `${pointer} ${message}`);
  const body: NeutronErrorBody = { type: faultOfStatus(reply.statusCode), message: [problem.detail ?? '', ...reasons].join(' ').trim(), detail: '' };
  return JSON.stringify({ ...problem, NeutronError: body });
}
