/**
 * SOL 005 clause 6.5.2.5 to 6.5.2.7: the NS lifecycle change notifications, written into the NFVO's `nslcm`
 * outbox for every matching subscription of the NS instance's tenant and of the admin tenant.
 *
 * An NS LCM operation occurrence is notified on each change of its SOL 005 state (clause 6.6.2.2): START on
 * entering PROCESSING (also after a retry) and ROLLING_BACK; RESULT on COMPLETED, PARTIALLY_COMPLETED, FAILED_TEMP, FAILED and
 * ROLLED_BACK; `OccurrenceNotifier` notifies each state once, across restarts too.
 */
import {
  fromJson,
  type CollectionSpec,
  type Logger,
  type NotificationOutbox,
  type Operation,
  type OperationEngine,
  type OperationStep,
  type Store,
  type Violation,
} from '../../../platform/index.js';
import {
  OccurrenceNotifier,
  type NotifiedOccurrenceRecord,
  type OccurrenceFilterFacts,
  type OccurrenceInstanceLookup,
} from '../../../platform/notifications/occurrence-notifier.js';
import { matchesAny } from '../../../platform/notifications/subscriptions.js';
import { NS_INSTANCES_PATH, NS_LCM_OP_OCCS_PATH, type InstantiateNsRequest, type NsInstance, type NsSapRecord, type NsVirtualLinkRecord, type NsVnffgRecord, type NsVnfOutcome, type NsVnfRecord } from '../model.js';
import type { NsScalingPlan } from '../ns-scaling.js';
import {
  IDENTIFIER_CREATION_NOTIFICATION,
  IDENTIFIER_DELETION_NOTIFICATION,
  NS_CHANGE_NOTIFICATION,
  NS_LCM_SUBSCRIPTIONS,
  NS_LCM_SUBSCRIPTIONS_PATH,
  nsInstanceFactsOf,
  nsLcmOperationState,
  OPERATION_OCCURRENCE_NOTIFICATION,
  type NsInstanceFacts,
  type NsLcmNotificationType,
  type NsLcmOperationState,
  type NsLcmOpType,
  type NsLifecycleChangeNotificationsFilter,
  type NsVnfProfileFact,
} from './model.js';

/** The outbox channel of NS lifecycle change notifications. */
export const NS_LCM_NOTIFICATIONS_CHANNEL = 'nslcm';

/** The state last notified for an NS LCM operation occurrence (keyed by its id). */
export type NotifiedNsOccurrence = NotifiedOccurrenceRecord<NsLcmOperationState, NsInstanceFacts>;

export const NS_LCM_NOTIFIED_OCCURRENCES: CollectionSpec = { name: 'nslcm_notified_op_occs', indexes: [] };

/** What a notification about an operation occurrence is filtered on, besides the instance. */
export type NsOccurrenceFacts = OccurrenceFilterFacts<NsLcmOperationState>;

const START_STATES: readonly NsLcmOperationState[] = ['PROCESSING', 'ROLLING_BACK'];

/** Filter attributes that only go with one notification type (SOL 005 clause 6.5.3.8). */
const ATTRIBUTES_OF_TYPE: ReadonlyArray<{ type: NsLcmNotificationType; names: ReadonlyArray<keyof NsLifecycleChangeNotificationsFilter> }> = [
  { type: OPERATION_OCCURRENCE_NOTIFICATION, names: ['operationTypes', 'operationStates'] },
  { type: NS_CHANGE_NOTIFICATION, names: ['nsComponentTypes', 'lcmOpNameImpactingNsComponent', 'lcmOpOccStatusImpactingNsComponent'] },
];

/**
 * SOL 005 clause 6.5.3.8: every attribute present must match (and), any value of an array attribute may match
 * (or). operationTypes and operationStates filter operation occurrence notifications only; the NS component
 * attributes filter NsChangeNotification only, which this NFVO does not send.
 */
export function nsLccnFilterMatches(
  filter: NsLifecycleChangeNotificationsFilter | undefined,
  type: NsLcmNotificationType,
  instance: NsInstanceFacts,
  occurrence?: NsOccurrenceFacts,
): boolean {
  if (filter === undefined) return true;
  if (!matchesAny(filter.notificationTypes, type)) return false;
  const byInstance = filter.nsInstanceSubscriptionFilter;
  if (byInstance !== undefined) {
    const vnfdIds = byInstance.vnfdIds;
    const matchesVnfds = vnfdIds === undefined || vnfdIds.length === 0 || (instance.vnfProfiles ?? []).some((profile) => vnfdIds.includes(profile.vnfdId));
    // An NS of this NFVO has no PNFs: a filter naming PNFDs matches none.
    const matchesPnfds = byInstance.pnfdIds === undefined || byInstance.pnfdIds.length === 0;
    if (
      !(
        matchesAny(byInstance.nsdIds, instance.nsdId) &&
        matchesVnfds &&
        matchesPnfds &&
        matchesAny(byInstance.nsInstanceIds, instance.id) &&
        matchesAny(byInstance.nsInstanceNames, instance.nsInstanceName)
      )
    ) {
      return false;
    }
  }
  if (occurrence === undefined) return true;
  return matchesAny(filter.operationTypes, occurrence.operationType as NsLcmOpType) && matchesAny(filter.operationStates, occurrence.state);
}

/** SOL 005 clause 6.5.3.8: attributes that go with one notification type are refused when notificationTypes leaves it out. */
export function checkNsLccnFilter(filter: NsLifecycleChangeNotificationsFilter): Violation[] {
  const types = filter.notificationTypes;
  if (types === undefined || types.length === 0) return [];
  return ATTRIBUTES_OF_TYPE.filter(({ type }) => !types.includes(type)).flatMap(({ type, names }) =>
    names
      .filter((name) => filter[name] !== undefined)
      .map((name) => ({ pointer: `/filter/${name}`, message: `applies to ${type} only, which notificationTypes leaves out`, in: 'body' as const })),
  );
}

// --- resource changes ---------------------------------------------------------------------------------------

type ChangeResult = 'COMPLETED' | 'ROLLED_BACK' | 'FAILED';

/** SOL 005 clause 6.5.3.2 AffectedVnf. */
export interface AffectedVnf {
  vnfInstanceId: string;
  vnfdId?: string;
  vnfProfileId: string;
  vnfName?: string;
  changeType: 'INSTANTIATE' | 'TERMINATE' | 'SCALE';
  changeResult: ChangeResult;
}

/** SOL 005 clause 6.5.3.4 AffectedVirtualLink. */
export interface AffectedVl {
  nsVirtualLinkInstanceId: string;
  nsVirtualLinkDescId: string;
  vlProfileId: string;
  changeType: 'ADD' | 'DELETE';
  changeResult: ChangeResult;
}

/** SOL 005 clause 6.5.3.5 AffectedVnffg. */
export interface AffectedVnffg {
  vnffgInstanceId: string;
  vnffgdId: string;
  changeType: 'ADD' | 'DELETE' | 'MODIFY';
  changeResult: ChangeResult;
}

/** SOL 005 clause 6.5.3.7 AffectedSap. */
export interface AffectedSap {
  sapInstanceId: string;
  sapdId: string;
  sapName: string;
  changeType: 'ADD' | 'REMOVE';
  changeResult: ChangeResult;
}

export interface NsLcmResourceChanges {
  affectedVnfs: AffectedVnf[];
  affectedVls: AffectedVl[];
  affectedVnffgs: AffectedVnffg[];
  affectedSaps: AffectedSap[];
}

export interface ResourceChangesContext {
  /** The NS's name, for the names of its VNF instances. */
  nsInstanceName?: string | undefined;
  /** The VNF profiles of the NSD, for the VNFDs of the affected VNFs. */
  vnfProfiles?: readonly NsVnfProfileFact[] | undefined;
  /** For a TERMINATE: the INSTANTIATE that created what it removes (see `instantiationOf`). */
  instantiation?: Operation | undefined;
}

/** How far a step's change got: undefined while it has not run (nothing changed yet). */
function changeResultOf(step: OperationStep | undefined): ChangeResult | undefined {
  switch (step?.status) {
    case 'done':
      return 'COMPLETED';
    case 'compensated':
      return 'ROLLED_BACK';
    case 'failed':
    case 'compensating':
      return 'FAILED';
    default:
      return undefined;
  }
}

function stepOf(operation: Operation, name: string): OperationStep | undefined {
  return operation.steps.find((step) => step.name === name);
}

function outputOf<T>(operation: Operation, name: string): T[] {
  const output = stepOf(operation, name)?.output;
  return Array.isArray(output) ? fromJson<T[]>(output) : [];
}

/** The name NsLifecycle gives the VNF instance of a profile: the request's, or `<NS name>-<profile>`. */
function vnfNameOf(instantiation: Operation, vnfProfileId: string, nsInstanceName: string | undefined): string | undefined {
  const request = fromJson<{ request?: InstantiateNsRequest } | null>(instantiation.input)?.request;
  const named = request?.additionalParamsForVnf?.find((item) => item.vnfProfileId === vnfProfileId)?.vnfInstanceName;
  return named ?? (nsInstanceName === undefined ? undefined : `${nsInstanceName}-${vnfProfileId}`);
}

/**
 * What an NS LCM operation occurrence changed, from its steps: for INSTANTIATE the outputs of its steps
 * `virtual-links`, `saps`, `vnfs` and `vnffgs`; for TERMINATE what `context.instantiation` created, each kind
 * as far as the TERMINATE step that removes it got. Steps that have not run yet changed nothing.
 */
export function nsLcmResourceChanges(operation: Operation, context: ResourceChangesContext = {}): NsLcmResourceChanges {
  const changes: NsLcmResourceChanges = { affectedVnfs: [], affectedVls: [], affectedVnffgs: [], affectedSaps: [] };
  const resultOf = (name: string): ChangeResult | undefined => changeResultOf(stepOf(operation, name));
  const affectedVnf = (vnf: NsVnfRecord, changeType: AffectedVnf['changeType'], changeResult: ChangeResult, naming: Operation | undefined): AffectedVnf => {
    const affected: AffectedVnf = { vnfInstanceId: vnf.vnfInstanceId, vnfProfileId: vnf.vnfProfileId, changeType, changeResult };
    const vnfdId = context.vnfProfiles?.find((profile) => profile.vnfProfileId === vnf.vnfProfileId)?.vnfdId;
    const vnfName = naming === undefined ? undefined : vnfNameOf(naming, vnf.vnfProfileId, context.nsInstanceName);
    if (vnfdId !== undefined) affected.vnfdId = vnfdId;
    if (vnfName !== undefined) affected.vnfName = vnfName;
    return affected;
  };
  if (operation.kind === 'SCALE') return scaleResourceChanges(operation, changes, resultOf, affectedVnf);
  const adding = operation.kind === 'INSTANTIATE';
  if (!adding && operation.kind !== 'TERMINATE') return changes;
  // A TERMINATE's steps answer what they removed; one that has not answered yet (or an occurrence from before
  // they did) is taken to remove what the instantiation made.
  const sourceOf = (name: string): Operation | undefined => (adding || stepOf(operation, name)?.output !== undefined ? operation : context.instantiation);
  const naming = adding ? operation : context.instantiation;

  const vnfResult = resultOf('vnfs');
  const vnfSource = sourceOf('vnfs');
  if (vnfResult !== undefined && vnfSource !== undefined) {
    changes.affectedVnfs = outputOf<NsVnfOutcome>(vnfSource, 'vnfs').map((vnf) =>
      // A VNF the instantiation was continued without did not instantiate.
      affectedVnf(vnf, adding ? 'INSTANTIATE' : 'TERMINATE', adding && vnf.leftOut ? 'FAILED' : vnfResult, naming),
    );
  }
  const vlResult = resultOf('virtual-links');
  const vlSource = sourceOf('virtual-links');
  if (vlResult !== undefined && vlSource !== undefined) {
    changes.affectedVls = outputOf<NsVirtualLinkRecord>(vlSource, 'virtual-links').map((link) => ({
      nsVirtualLinkInstanceId: link.networkId,
      nsVirtualLinkDescId: link.nsVirtualLinkDescId,
      vlProfileId: link.nsVirtualLinkDescId,
      changeType: adding ? 'ADD' : 'DELETE',
      changeResult: vlResult,
    }));
  }
  const vnffgResult = resultOf('vnffgs');
  const vnffgSource = sourceOf('vnffgs');
  if (vnffgResult !== undefined && vnffgSource !== undefined) {
    changes.affectedVnffgs = affectedGraphs(operation, outputOf<NsVnffgRecord>(vnffgSource, 'vnffgs'), adding ? 'ADD' : 'DELETE', vnffgResult);
  }
  const sapResult = resultOf('saps');
  const sapSource = sourceOf('saps');
  if (sapResult !== undefined && sapSource !== undefined) {
    changes.affectedSaps = outputOf<NsSapRecord>(sapSource, 'saps').map((sap) => ({
      sapInstanceId: sap.portId,
      sapdId: sap.sapdId,
      sapName: sap.sapName,
      changeType: adding ? 'ADD' : 'REMOVE',
      changeResult: sapResult,
    }));
  }
  return changes;
}

/** For a TERMINATE: the latest INSTANTIATE of the same NS instance that completed before it started. */
/** One VNFFG instance per graph (as the NS instance's vnffgInfo shows it), whatever the number of its NFPs. */
function affectedGraphs(operation: Operation, records: readonly NsVnffgRecord[], changeType: AffectedVnffg['changeType'], changeResult: ChangeResult): AffectedVnffg[] {
  return [...new Set(records.map((record) => record.vnffgdId))].map((vnffgdId) => ({ vnffgInstanceId: `${operation.resourceId}/${vnffgdId}`, vnffgdId, changeType, changeResult }));
}

/**
 * A SCALE: SCALE_NS instantiates the VNFs its plan adds and terminates those it removes; SCALE_VNF scales
 * each VNF named; the chains are steered over the VNFs after (MODIFY).
 */
function scaleResourceChanges(
  operation: Operation,
  changes: NsLcmResourceChanges,
  resultOf: (name: string) => ChangeResult | undefined,
  affectedVnf: (vnf: NsVnfRecord, changeType: AffectedVnf['changeType'], changeResult: ChangeResult, naming: Operation | undefined) => AffectedVnf,
): NsLcmResourceChanges {
  const vnfResult = resultOf('vnfs');
  if (vnfResult !== undefined) {
    const plan = fromJson<NsScalingPlan | undefined>(stepOf(operation, 'plan')?.output);
    changes.affectedVnfs = [
      ...(plan?.added ?? []).map((vnf) => affectedVnf(vnf, 'INSTANTIATE', vnfResult, undefined)),
      ...(plan?.removed ?? []).map((vnf) => affectedVnf(vnf, 'TERMINATE', vnfResult, undefined)),
      ...(plan?.scaled ?? []).map((vnf) => affectedVnf(vnf, 'SCALE', vnfResult, undefined)),
    ];
  }
  const vnffgResult = resultOf('vnffgs');
  if (vnffgResult !== undefined) changes.affectedVnffgs = affectedGraphs(operation, outputOf<NsVnffgRecord>(operation, 'vnffgs'), 'MODIFY', vnffgResult);
  return changes;
}

export async function instantiationOf(engine: OperationEngine, terminate: Operation): Promise<Operation | undefined> {
  const completed = (await engine.list({ resourceId: terminate.resourceId, kind: 'INSTANTIATE', state: 'COMPLETED' })).filter(
    (operation) => operation.createdAt <= terminate.createdAt && operation.id !== terminate.id,
  );
  return completed.reduce<Operation | undefined>((latest, operation) => (latest === undefined || operation.updatedAt > latest.updatedAt ? operation : latest), undefined);
}

// --- the notifier ------------------------------------------------------------------------------------------

/** The NS instance by id, or undefined when it does not exist (any more). */
export type NsInstanceLookup = OccurrenceInstanceLookup<NsInstance>;

export interface NsLcmNotificationsOptions {
  /** The VNF profiles of the instance's NSD (undefined when it cannot be read): for `vnfdIds` filters and `affectedVnf.vnfdId`. */
  vnfProfilesOf?: (instance: NsInstance) => Promise<readonly NsVnfProfileFact[] | undefined>;
}

interface NsLcmNotifierTypes {
  instance: NsInstance;
  facts: NsInstanceFacts;
  state: NsLcmOperationState;
  filter: NsLifecycleChangeNotificationsFilter;
  notificationType: NsLcmNotificationType;
}

/**
 * SOL 005 clause 6.5.2.5 NsLcmOperationOccurrenceNotification, 6.5.2.6 NsIdentifierCreationNotification and
 * 6.5.2.7 NsIdentifierDeletionNotification.
 */
export class NsLcmNotifications extends OccurrenceNotifier<NsLcmNotifierTypes> {
  constructor(
    store: Store,
    outbox: NotificationOutbox,
    logger: Logger,
    private readonly options: NsLcmNotificationsOptions = {},
  ) {
    super(store, outbox, logger, {
      subscriptions: NS_LCM_SUBSCRIPTIONS,
      notified: NS_LCM_NOTIFIED_OCCURRENCES,
      component: 'nslcm-notifications',
      types: { occurrence: OPERATION_OCCURRENCE_NOTIFICATION, creation: IDENTIFIER_CREATION_NOTIFICATION, deletion: IDENTIFIER_DELETION_NOTIFICATION },
      startStates: START_STATES,
      instance: { name: 'nsInstance', path: NS_INSTANCES_PATH, described: 'NS instance' },
      occurrence: { name: 'nsLcmOpOcc', path: NS_LCM_OP_OCCS_PATH, described: 'an NS LCM operation occurrence' },
      subscriptionsPath: NS_LCM_SUBSCRIPTIONS_PATH,
    });
  }

  protected stateOf(operation: Operation): NsLcmOperationState {
    return nsLcmOperationState(operation);
  }

  protected async factsOf(instance: NsInstance): Promise<NsInstanceFacts> {
    let profiles: readonly NsVnfProfileFact[] | undefined;
    try {
      profiles = await this.options.vnfProfilesOf?.(instance);
    } catch (error) {
      this.logger.warn({ err: error, nsInstanceId: instance.id }, 'the VNF profiles of an NS instance could not be read; notified without them');
    }
    return nsInstanceFactsOf(instance, profiles);
  }

  /** The VNF profiles first seen stay: the NSD may be gone by the time the occurrence ends. */
  protected override withLastNotified(facts: NsInstanceFacts, last: NsInstanceFacts): NsInstanceFacts {
    return facts.vnfProfiles === undefined && last.vnfProfiles !== undefined ? { ...facts, vnfProfiles: last.vnfProfiles } : facts;
  }

  protected matches(filter: NsLifecycleChangeNotificationsFilter | undefined, type: NsLcmNotificationType, instance: NsInstanceFacts, occurrence?: NsOccurrenceFacts): boolean {
    return nsLccnFilterMatches(filter, type, instance, occurrence);
  }

  protected async occurrenceDetails(operation: Operation, status: 'START' | 'RESULT', instance: NsInstanceFacts): Promise<Record<string, unknown>> {
    const details: Record<string, unknown> = { isAutomaticInvocation: false };
    if (status === 'RESULT') {
      const instantiation = operation.kind === 'TERMINATE' && this.engine ? await instantiationOf(this.engine, operation) : undefined;
      const changes = nsLcmResourceChanges(operation, { nsInstanceName: instance.nsInstanceName, vnfProfiles: instance.vnfProfiles, instantiation });
      if (changes.affectedVnfs.length > 0) details.affectedVnf = changes.affectedVnfs;
      if (changes.affectedVls.length > 0) details.affectedVl = changes.affectedVls;
      if (changes.affectedVnffgs.length > 0) details.affectedVnffg = changes.affectedVnffgs;
      if (changes.affectedSaps.length > 0) details.affectedSap = changes.affectedSaps;
    }
    return details;
  }
}
