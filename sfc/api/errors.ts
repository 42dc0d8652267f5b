import { neutronProblem, type NeutronErrorBody as PlatformNeutronErrorBody, type ProblemError } from '../../platform/index.js';

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
  | 'TraceNotPossible'
  | 'PolicyNotAuthorized'
  | 'InvalidInput'
  | 'HTTPBadRequest'
  | 'HTTPUnauthorized'
  | 'HTTPNotFound'
  | 'HTTPConflict'
  | 'HTTPInternalServerError';

export type NeutronErrorBody = PlatformNeutronErrorBody<SfcFault>;

/** A refusal with its Neutron fault type; `pointer` names the offending body member. */
export function sfcError(status: 400 | 403 | 404 | 409, type: SfcFault, message: string, pointer?: string): ProblemError {
  return neutronProblem(status, type, message, pointer === undefined ? undefined : [{ pointer, message, in: 'body' }]);
}

export const invalidInput = (reason: string, pointer: string): ProblemError =>
  sfcError(400, 'InvalidInput', `Invalid input for operation: ${reason}.`, pointer);
