/**
 * How an NS's forwarding graphs become service chains: each NFP a Traffic Steering chain over the ports its
 * VNFs have on the graph's virtual link, hop order from the NFP positions, classifiers from the NfpRules.
 */
import type { Nsd, NfpRule } from '../../descriptors/index.js';
import { derivedId, ProblemError } from '../../platform/index.js';
import type { SteeredChainSpec, SteeredClassifier, SteeredHop } from '../../sfc/index.js';
import type { VnfInstance } from '../../vnfm/index.js';
import type { NsInstance, NsVirtualLinkRecord, NsVnffgRecord, NsVnfRecord } from './model.js';

type VnfInstanceReader = (vnfInstanceId: string) => Promise<VnfInstance | undefined>;
type Nfp = Nsd['vnffgs'][number]['nfps'][number];

/** Each NFP of each VNFFG as a chain spec over the VNFs' ports on the graph's virtual link. */
export async function chainSpecs(
  vnfInstance: VnfInstanceReader,
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
      const { networkId, spec } = await nfpChain(vnfInstance, instance, nsd, vnffg.vnffgId, nfp, vnfs, links);
      records.push({ vnffgdId: vnffg.vnffgId, nfpId: nfp.nfpId, portChainId: derivedId(operationId, 'vnffg', vnffg.vnffgId, nfp.nfpId), networkId, spec });
    }
  }
  return records;
}

/** The NS's chains as they must be over another set of its VNFs (after a scaling), each under its own port chain. */
export async function chainsOver(vnfInstance: VnfInstanceReader, instance: NsInstance, nsd: Nsd, vnfs: readonly NsVnfRecord[]): Promise<NsVnffgRecord[]> {
  const records: NsVnffgRecord[] = [];
  for (const record of instance.vnffgs) {
    const nfp = nsd.vnffgs.find((vnffg) => vnffg.vnffgId === record.vnffgdId)?.nfps.find((candidate) => candidate.nfpId === record.nfpId);
    if (!nfp) throw new ProblemError(409, `NFP ${record.nfpId} of VNFFG ${record.vnffgdId} is no longer in the NSD`);
    const { spec } = await nfpChain(vnfInstance, instance, nsd, record.vnffgdId, nfp, vnfs, instance.virtualLinks);
    // Classified as the NS holds it: an UPDATE_VNFFG may have changed it from the NSD's rules.
    records.push({ ...record, spec: { ...spec, classifiers: record.spec.classifiers } });
  }
  return records;
}

/**
 * One NFP as a chain: each position a service function over the ports its VNFs (every instance of each
 * profile) have on the chain's link. `lb` spreads flows over all of them, `ff` takes a primary and a backup,
 * any other behaviour one port.
 */
async function nfpChain(vnfInstance: VnfInstanceReader, instance: NsInstance, nsd: Nsd, vnffgId: string, nfp: Nfp, vnfs: readonly NsVnfRecord[], links: readonly NsVirtualLinkRecord[]): Promise<{ networkId: string; spec: SteeredChainSpec }> {
  const profiles = nfp.hops.flatMap((hop) => hop.elements.flatMap((element) => (element.vnfProfileId === undefined ? [] : [element.vnfProfileId])));
  const linkId = chainLinkOf(nsd, profiles);
  const networkId = links.find((link) => link.nsVirtualLinkDescId === linkId)?.networkId;
  if (networkId === undefined) throw new ProblemError(422, `NFP ${nfp.nfpId}: its VNFs share no virtual link to steer over`);
  const hops: SteeredHop[] = [];
  for (const hop of nfp.hops) {
    const ports: string[] = [];
    for (const element of hop.elements) {
      for (const vnf of vnfs.filter((candidate) => candidate.vnfProfileId === element.vnfProfileId)) {
        for (const vnfc of (await vnfInstance(vnf.vnfInstanceId))?.instantiatedVnfInfo?.vnfcs ?? []) {
          for (const port of vnfc.ports) if (port.networkId === networkId) ports.push(port.portId);
        }
      }
    }
    const [primary, backup, ...more] = ports;
    if (primary === undefined) throw new ProblemError(422, `NFP ${nfp.nfpId}, position ${hop.positionId}: no VNF port on the chain's link`);
    if (hop.forwardingBehaviour === 'lb') {
      hops.push({ instances: ports.map((port) => ({ ingress: port, egress: port })) });
      continue;
    }
    if (more.length > 0 || (backup !== undefined && hop.forwardingBehaviour !== 'ff')) {
      throw new ProblemError(422, `NFP ${nfp.nfpId}, position ${hop.positionId}: ${ports.length} instances with forwarding behaviour ${hop.forwardingBehaviour}; NS chains take one instance per position, a primary and a backup (ff), or any number spread by load (lb)`);
    }
    hops.push({ instances: [{ ingress: primary, egress: primary, ...(backup === undefined ? {} : { ingressBackup: backup, egressBackup: backup }) }] });
  }
  return { networkId, spec: { tenantId: instance.tenantId, name: `ns-${instance.id.slice(0, 8)}-${vnffgId}-${nfp.nfpId}`, classifiers: nfp.classifiers.map(steeredClassifier), hops } };
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

/** Whether every NFP position the VNF profile is at spreads flows over its instances (`lb`): its VNFCs may then come and go. */
export function atLoadBalancedPositionsOnly(nsd: Nsd, vnfProfileId: string): boolean {
  return nsd.vnffgs.every((vnffg) => vnffg.nfps.every((nfp) => nfp.hops.every((hop) => hop.forwardingBehaviour === 'lb' || !hop.elements.some((element) => element.vnfProfileId === vnfProfileId))));
}
