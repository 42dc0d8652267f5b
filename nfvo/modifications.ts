import { checkIfMatch, conflict, mergePatch } from '../platform/index.js';

export { checkIfMatch };
import type { KeyValuePairs, PackageOperationalState } from './packages/model.js';

/** What SOL 005 lets a client modify on a VNF package or an NSD (VnfPkgInfoModifications, NsdInfoModifications). */
export interface Modifiable {
  onboardingState: string;
  operationalState: PackageOperationalState;
  userDefinedData: KeyValuePairs;
}

export interface Modifications {
  operationalState?: PackageOperationalState | undefined;
  userDefinedData?: KeyValuePairs | undefined;
}

/**
 * The state after the modifications: the operational state changes only on an onboarded resource and only to
 * the other value (409 otherwise); user data is merged by RFC 7396.
 */
export function modified(subject: string, current: Modifiable, changes: Modifications): { operationalState: PackageOperationalState; userDefinedData: KeyValuePairs } {
  let operationalState = current.operationalState;
  if (changes.operationalState !== undefined) {
    if (current.onboardingState !== 'ONBOARDED') {
      throw conflict(`${subject} is ${current.onboardingState}; only an ONBOARDED one can be enabled or disabled.`, { onboardingState: current.onboardingState });
    }
    if (current.operationalState === changes.operationalState) {
      throw conflict(`${subject} is already ${current.operationalState}.`, { operationalState: current.operationalState });
    }
    operationalState = changes.operationalState;
  }
  const userDefinedData = changes.userDefinedData === undefined ? current.userDefinedData : (mergePatch(current.userDefinedData, changes.userDefinedData) as KeyValuePairs);
  return { operationalState, userDefinedData };
}

