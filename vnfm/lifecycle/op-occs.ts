/** SOL 003 clause 5.5.2.13 VnfLcmOpOcc: an operation of the engine as the API shows it. */
import { VIM_CONNECTION_ID } from '../../nfvo/index.js';
import { fromJson, type Json, type Operation, type ProblemDetails } from '../../platform/index.js';
import { VNF_LCM_V1, type VnfLcmApiVersion } from '../api-versions.js';
import { extCpInstanceId, vnfcCpInstanceId } from '../instances/model.js';
import type { VnfcPortRecord, VnfcRecord, VnfVirtualLinkRecord } from './model.js';

export const VNF_LCM_OP_OCCS_PATH = VNF_LCM_V1.opOccsPath;

/** SOL 003 clause 5.5.4.3 LcmOperationStateType. */
export type LcmOperationState = 'STARTING' | 'PROCESSING' | 'COMPLETED' | 'FAILED_TEMP' | 'FAILED' | 'ROLLING_BACK' | 'ROLLED_BACK';

type ChangeType = 'ADDED' | 'REMOVED' | 'MODIFIED' | 'TEMPORARY';

export interface VnfLcmOpOccView {
  id: string;
  operationState: LcmOperationState;
  stateEnteredTime: string;
  startTime: string;
  vnfInstanceId: string;
  grantId?: string;
  operation: string;
  isAutomaticInvocation: boolean;
  operationParams: Json;
  isCancelPending: boolean;
  cancelMode?: 'GRACEFUL' | 'FORCEFUL';
  error?: ProblemDetails;
  /** CHANGE_EXT_CONN, once done: the external VLs the request changed, with the ports now on them. */
  changedExtConnectivity?: Array<{
    id: string;
    resourceHandle: { vimConnectionId: string; resourceId: string };
    extLinkPorts: Array<{ id: string; resourceHandle: { vimConnectionId: string; resourceId: string }; cpInstanceId: string }>;
  }>;
  resourceChanges: {
    affectedVnfcs: Array<{
      id: string;
      vduId: string;
      changeType: ChangeType;
      computeResource: { vimConnectionId: string; resourceId: string; vimLevelResourceType: string };
      affectedVnfcCpIds: string[];
    }>;
    affectedVirtualLinks: Array<{
      id: string;
      vnfVirtualLinkDescId: string;
      changeType: ChangeType;
      networkResource: { vimConnectionId: string; resourceId: string; vimLevelResourceType: string };
    }>;
    affectedExtLinkPorts: Array<{ id: string; changeType: ChangeType; extCpInstanceId: string; resourceHandle: { vimConnectionId: string; resourceId: string; vimLevelResourceType: string } }>;
    affectedVirtualStorages: [];
  };
  _links: Record<string, { href: string }>;
}

export const VNF_LCM_OP_OCC_SHAPE = { defaultExcluded: ['operationParams', 'error', 'resourceChanges', 'changedInfo', 'changedExtConnectivity'], mandatory: ['_links'] } as const;

export const VNF_LCM_OP_OCC_ATTRIBUTES = new Set([
  'id', 'operationState', 'stateEnteredTime', 'startTime', 'vnfInstanceId', 'grantId', 'operation', 'isAutomaticInvocation', 'operationParams',
  'isCancelPending', 'error', 'resourceChanges', 'changedExtConnectivity', '_links',
]);

/** STARTING is PROCESSING before the grant is obtained (SOL 003 clause 5.6.2.2). */
export function lcmOperationState(operation: Operation): LcmOperationState {
  if (operation.state === 'PROCESSING' && operation.steps[0]?.name === 'grant' && operation.steps[0].status !== 'done') return 'STARTING';
  return operation.state;
}

/** What the operation's done steps say it created, removed or changed. */
function resourceChanges(operation: Operation): VnfLcmOpOccView['resourceChanges'] {
  const changes: VnfLcmOpOccView['resourceChanges'] = { affectedVnfcs: [], affectedVirtualLinks: [], affectedExtLinkPorts: [], affectedVirtualStorages: [] };
  const statusOf = (name: string) => operation.steps.find((candidate) => candidate.name === name)?.status;
  const outputOf = (name: string): Json | undefined => {
    const step = operation.steps.find((candidate) => candidate.name === name);
    return step && (step.status === 'done' || step.status === 'compensated' || step.status === 'compensating') ? step.output : undefined;
  };
  const addVnfcs = (vnfcs: readonly VnfcRecord[] | undefined, changeType: ChangeType) => {
    for (const vnfc of vnfcs ?? []) {
      changes.affectedVnfcs.push({
        id: vnfc.id,
        vduId: vnfc.vduId,
        changeType,
        computeResource: { vimConnectionId: VIM_CONNECTION_ID, resourceId: vnfc.id, vimLevelResourceType: 'Domain' },
        // The ids the instance's vnfcCpInfo gives the same CPs.
        affectedVnfcCpIds: vnfc.ports.map((port) => vnfcCpInstanceId(vnfc, port)),
      });
      if (changeType !== 'MODIFIED') addExtLinkPorts(vnfc.id, vnfc.ports, changeType);
    }
  };
  const addExtLinkPorts = (vnfcId: string, ports: readonly VnfcPortRecord[] | undefined, changeType: ChangeType) => {
    for (const port of ports ?? []) {
      if (port.extCpdId === undefined) continue;
      changes.affectedExtLinkPorts.push({
        id: port.portId,
        changeType,
        extCpInstanceId: `${vnfcId}/${port.extCpdId}`,
        resourceHandle: { vimConnectionId: VIM_CONNECTION_ID, resourceId: port.portId, vimLevelResourceType: 'port' },
      });
    }
  };
  const addLinks = (links: readonly VnfVirtualLinkRecord[] | undefined, changeType: ChangeType) => {
    for (const link of (links ?? []).filter((candidate) => candidate.managedBy === 'vnfm')) {
      changes.affectedVirtualLinks.push({
        id: link.networkId,
        vnfVirtualLinkDescId: link.vnfVirtualLinkDescId,
        changeType,
        networkResource: { vimConnectionId: VIM_CONNECTION_ID, resourceId: link.networkId, vimLevelResourceType: 'network' },
      });
    }
  };
  switch (operation.kind) {
    case 'INSTANTIATE':
      if (statusOf('vnfcs') !== 'compensated') addVnfcs(fromJson<VnfcRecord[] | undefined>(outputOf('vnfcs')), 'ADDED');
      if (statusOf('virtual-links') !== 'compensated') addLinks(fromJson<VnfVirtualLinkRecord[] | undefined>(outputOf('virtual-links')), 'ADDED');
      break;
    case 'TERMINATE': {
      const removed = fromJson<{ vnfcs?: VnfcRecord[]; virtualLinks?: VnfVirtualLinkRecord[] } | undefined>(outputOf('grant'));
      if (statusOf('vnfcs') === 'done') addVnfcs(removed?.vnfcs, 'REMOVED');
      if (statusOf('virtual-links') === 'done') addLinks(removed?.virtualLinks, 'REMOVED');
      break;
    }
    case 'SCALE':
    case 'SCALE_TO_LEVEL': {
      const grant = fromJson<{ remove?: VnfcRecord[] } | undefined>(outputOf('grant'));
      if (statusOf('remove-vnfcs') === 'done') addVnfcs(grant?.remove, 'REMOVED');
      if (statusOf('vnfcs') !== 'compensated') addVnfcs(fromJson<VnfcRecord[] | undefined>(outputOf('vnfcs')), 'ADDED');
      break;
    }
    case 'CHANGE_FLAVOUR': {
      const before = fromJson<{ before?: { vnfcs?: VnfcRecord[]; virtualLinks?: VnfVirtualLinkRecord[] } } | undefined>(outputOf('grant'))?.before;
      if (statusOf('remove-vnfcs') === 'done') addVnfcs(before?.vnfcs, 'REMOVED');
      if (statusOf('remove-virtual-links') === 'done') addLinks(before?.virtualLinks, 'REMOVED');
      if (statusOf('vnfcs') !== 'compensated') addVnfcs(fromJson<VnfcRecord[] | undefined>(outputOf('vnfcs')), 'ADDED');
      if (statusOf('virtual-links') !== 'compensated') addLinks(fromJson<VnfVirtualLinkRecord[] | undefined>(outputOf('virtual-links')), 'ADDED');
      break;
    }
    case 'CHANGE_EXT_CONN': {
      // The moved VNFCs were created again on their new ports; the ports they left are removed.
      const moved = fromJson<{ moved?: Array<{ vnfc: VnfcRecord; cpIds: string[] }> } | undefined>(outputOf('grant'))?.moved ?? [];
      const created = fromJson<Record<string, VnfcPortRecord[]> | undefined>(outputOf('ports')) ?? {};
      if (statusOf('vnfcs') === 'done') addVnfcs(fromJson<VnfcRecord[] | undefined>(outputOf('vnfcs')), 'MODIFIED');
      if (statusOf('ports') === 'done') for (const [vnfcId, ports] of Object.entries(created)) addExtLinkPorts(vnfcId, ports, 'ADDED');
      if (statusOf('remove-ports') === 'done') {
        for (const { vnfc, cpIds } of moved) addExtLinkPorts(vnfc.id, vnfc.ports.filter((port) => cpIds.includes(port.cpdId)), 'REMOVED');
      }
      break;
    }
    case 'HEAL':
      if (statusOf('vnfcs') === 'done') addVnfcs(fromJson<{ vnfcs?: VnfcRecord[] } | undefined>(outputOf('grant'))?.vnfcs, 'MODIFIED');
      break;
    default:
      break;
  }
  return changes;
}

/** The external VLs a done CHANGE_EXT_CONN changed (those its request names), with the ports on them. */
function changedExtConnectivity(operation: Operation): VnfLcmOpOccView['changedExtConnectivity'] {
  if (operation.kind !== 'CHANGE_EXT_CONN' || operation.steps.find((step) => step.name === 'finalize')?.status !== 'done') return undefined;
  const changed = new Set(fromJson<{ request: { extVirtualLinks?: Array<{ id: string }> } }>(operation.input).request.extVirtualLinks?.map((link) => link.id));
  const after = fromJson<{ after?: { extVirtualLinks: Array<{ id: string; resourceId: string }> } } | undefined>(operation.steps.find((step) => step.name === 'grant')?.output)?.after;
  const vnfcs = fromJson<VnfcRecord[] | undefined>(operation.steps.find((step) => step.name === 'vnfcs')?.output) ?? [];
  return (after?.extVirtualLinks ?? [])
    .filter((link) => changed.has(link.id))
    .map((link) => ({
      id: link.id,
      resourceHandle: { vimConnectionId: VIM_CONNECTION_ID, resourceId: link.resourceId },
      extLinkPorts: vnfcs.flatMap((vnfc) =>
        vnfc.ports
          .filter((port) => port.extVirtualLinkId === link.id)
          .map((port) => ({ id: port.portId, resourceHandle: { vimConnectionId: VIM_CONNECTION_ID, resourceId: port.portId }, cpInstanceId: extCpInstanceId(vnfc, port) })),
      ),
    }));
}

/** The occurrence as the given VNF LCM API version shows it (v1 and v2 differ only in their URIs). */
export function vnfLcmOpOccView(operation: Operation, apiRoot: string, version: Pick<VnfLcmApiVersion, 'instancesPath' | 'opOccsPath'> = VNF_LCM_V1): VnfLcmOpOccView {
  const self = `${apiRoot}${version.opOccsPath}/${operation.id}`;
  const input = fromJson<{ vnfInstanceId: string; isAutomaticInvocation: boolean; request: Json }>(operation.input);
  const state = lcmOperationState(operation);
  const grantId = fromJson<{ grantId?: string } | undefined>(operation.steps.find((step) => step.name === 'grant' && step.output !== undefined)?.output)?.grantId;
  const links: Record<string, { href: string }> = { self: { href: self }, vnfInstance: { href: `${apiRoot}${version.instancesPath}/${operation.resourceId}` } };
  if (grantId !== undefined) links.grant = { href: `${apiRoot}/grant/v1/grants/${grantId}` };
  if (state === 'FAILED_TEMP') {
    for (const action of ['retry', 'rollback', 'fail'] as const) links[action] = { href: `${self}/${action}` };
  }
  if (state === 'STARTING' || state === 'PROCESSING' || state === 'ROLLING_BACK') links.cancel = { href: `${self}/cancel` };
  const view: VnfLcmOpOccView = {
    id: operation.id,
    operationState: state,
    stateEnteredTime: operation.updatedAt,
    startTime: operation.createdAt,
    vnfInstanceId: input.vnfInstanceId,
    operation: operation.kind,
    isAutomaticInvocation: input.isAutomaticInvocation,
    operationParams: input.request,
    isCancelPending: operation.isCancelPending === true,
    ...(operation.cancelMode === undefined ? {} : { cancelMode: operation.cancelMode }),
    resourceChanges: resourceChanges(operation),
    _links: links,
  };
  if (grantId !== undefined) view.grantId = grantId;
  const changedLinks = changedExtConnectivity(operation);
  if (changedLinks !== undefined) view.changedExtConnectivity = changedLinks;
  if (operation.error) {
    view.error = { type: 'about:blank', title: operation.error.title, status: operation.error.status, detail: operation.error.detail, ...(operation.error.step ? { step: operation.error.step } : {}) };
  }
  return view;
}
