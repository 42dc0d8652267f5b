/**
 * How an NS's forwarding graphs become service chains: each NFP a Traffic Steering chain over the ports its
 * VNFs have on the graph's virtual link, hop order from the NFP positions, classifiers from the NfpRules.
 */
import type { Nsd, NfpRule } from '../../descriptors/index.js';
import { derivedId, ProblemError } from '../../platform/index.js';
import type { SteeredClassifier, SteeredHop } from '../../sfc/index.js';
import type { VnfInstance } from '../../vnfm/index.js';
import type { NsInstance, NsVirtualLinkRecord, NsVnffgRecord, NsVnfRecord } from './model.js';

/** Each NFP of each VNFFG as a chain spec over the VNFs' ports on the graph's virtual link. */
export async function chainSpecs(
  vnfInstance: (vnfInstanceId: string) => Promise<VnfInstance | undefined>,
  operationId: string,
  instance: NsInstance,
  nsd: Nsd,
  vnfs: readonly NsVnfRecord[],
  links: readonly NsVirtualLinkRecord[],
  only?: ReadonlySet<string>,
): Promise<NsVnffgRecord[]> {
  const records: NsVnffgRecord[] = [];
  for (const vnffg of nsd.vnffgs) {
    if (only !== undefined && !only.has(vnffg.vnffgId)) continue;
    for (const nfp of vnffg.nfps) {
      const profiles = nfp.hops.flatMap((hop) => hop.elements.flatMap((element) => (element.vnfProfileId === undefined ? [] : [element.vnfProfileId])));
      const linkId = chainLinkOf(nsd, profiles);
      const networkId = links.find((link) => link.nsVirtualLinkDescId === linkId)?.networkId;
      if (networkId === undefined) throw new ProblemError(422, `NFP ${nfp.nfpId}: its VNFs share no virtual link to steer over`);
      const hops: SteeredHop[] = [];
      for (const hop of nfp.hops) {
        const ports: string[] = [];
        for (const element of hop.elements) {
          const vnfInstanceId = vnfs.find((vnf) => vnf.vnfProfileId === element.vnfProfileId)?.vnfInstanceId;
          const vnf = vnfInstanceId === undefined ? undefined : await vnfInstance(vnfInstanceId);
          for (const vnfc of vnf?.instantiatedVnfInfo?.vnfcs ?? []) {
            for (const port of vnfc.ports) if (port.networkId === networkId) ports.push(port.portId);
          }
        }
        const [primary, backup, ...more] = ports;
        if (primary === undefined) throw new ProblemError(422, `NFP ${nfp.nfpId}, position ${hop.positionId}: no VNF port on the chain's link`);
        if (more.length > 0 || (backup !== undefined && hop.forwardingBehaviour !== 'ff')) {
          throw new ProblemError(422, `NFP ${nfp.nfpId}, position ${hop.positionId}: ${ports.length} instances with forwarding behaviour ${hop.forwardingBehaviour}; NS chains take one instance per position, or a primary and a backup (ff)`);
        }
        hops.push({ ingress: primary, egress: primary, ...(backup === undefined ? {} : { ingressBackup: backup, egressBackup: backup }) });
      }
      records.push({
        vnffgdId: vnffg.vnffgId,
        nfpId: nfp.nfpId,
        portChainId: derivedId(operationId, 'vnffg', vnffg.vnffgId, nfp.nfpId),
        networkId,
        spec: { tenantId: instance.tenantId, name: `ns-${instance.id.slice(0, 8)}-${vnffg.vnffgId}-${nfp.nfpId}`, classifiers: nfp.classifiers.map(steeredClassifier), hops },
      });
    }
  }
  return records;
}

/** The NS virtual link an NFP steers over: one every VNF of the path connects to, preferring one with SAPs. */
function chainLinkOf(nsd: Nsd, profileIds: readonly string[]): string | undefined {
  const linkSets = profileIds.map((profileId) => new Set((nsd.vnfProfiles.find((profile) => profile.profileId === profileId)?.virtualLinkConnectivity ?? []).map((item) => item.virtualLinkId)));
  const shared = nsd.virtualLinks.map((link) => link.virtualLinkId).filter((linkId) => linkSets.every((links) => links.has(linkId)));
  return shared.find((linkId) => nsd.saps.some((sap) => sap.virtualLinkId === linkId)) ?? shared[0];
}

function steeredClassifier(rule: NfpRule): SteeredClassifier {
  const range = rule.destinationPortRange;
  return {
    ...(rule.protocol === undefined ? {} : { protocol: rule.protocol }),
    ...(range === undefined ? {} : { portRange: range.min === range.max ? String(range.min) : `${range.min}:${range.max}` }),
    ...(rule.sourceIp === undefined || /^0\.0\.0\.0\/0$|^::\/0$/.test(rule.sourceIp) ? {} : { sourcePrefix: rule.sourceIp }),
    ...(rule.destinationIp === undefined ? {} : { destinationPrefix: rule.destinationIp }),
  };
}
