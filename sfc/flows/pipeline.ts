/**
 * The integration bridge's OpenFlow pipeline as we own it: table numbers, and how cookies and group ids name
 * their owner so that the reconciler can find (and only find) what is ours.
 *
 *   table 0  INGRESS  classification at a chain's entry ports, steering of traffic coming back from a
 *                     service function, then every other frame of a bound port to DELIVER with its network
 *                     in the metadata. Anything else is dropped.
 *   table 3  BALANCE  a hop balanced on `lb_fields`: the hash `multipath` left in reg0, for the hop named in
 *                     reg1, picks the instance.
 *   table 5  RESOLVE  after a chain's last hop: the destination IP picks the bound port that owns it and the
 *                     frame gets that port's MAC (a service function may have rewritten or not known it).
 *   table 10 DELIVER  L2 by the known MACs of bound ports on the frame's network, the way OVN's pipeline does
 *                     it; broadcast and multicast go to the network's ports that are not service-function
 *                     ports; unknown unicast is dropped. No `NORMAL`, no learning, no flooding into SFs.
 *   tables 11-17      the rest of a broadcast when a network has more ports on the bridge than one flow's
 *                     output list can hold.
 */

export const TABLE = { ingress: 0, balance: 3, resolve: 5, deliver: 10, broadcast: 11 } as const;

export const PRIORITY = {
  classify: 300,
  fromServiceFunction: 200,
  boundPort: 100,
  destination: 100,
  broadcast: 50,
  miss: 0,
} as const;

/**
 * Cookie layout: `0x4E46` (our mark) | role (16 bits) | chain id (16 bits, 0 for the base pipeline) | detail.
 * The mark under `OUR_COOKIE_MASK` selects everything we own, mark + role + chain selects one chain.
 */
export const COOKIE_MARK = 0x4e46n;
export const OUR_COOKIE = COOKIE_MARK << 48n;
export const OUR_COOKIE_MASK = 0xffffn << 48n;
export const CHAIN_COOKIE_MASK = (0xffffn << 48n) | (0xffffn << 16n);

export const ROLE = { base: 1, delivery: 2, classify: 3, steer: 4, resolve: 5 } as const;
export type FlowRole = keyof typeof ROLE;

export function cookieOf(role: FlowRole, chainId = 0, detail = 0): bigint {
  return OUR_COOKIE | (BigInt(ROLE[role]) << 32n) | (BigInt(chainId & 0xffff) << 16n) | BigInt(detail & 0xffff);
}

export interface CookieOwner {
  role: FlowRole | undefined;
  chainId: number;
  detail: number;
}

export function isOurCookie(cookie: bigint): boolean {
  return (cookie & OUR_COOKIE_MASK) === OUR_COOKIE;
}

export function ownerOfCookie(cookie: bigint): CookieOwner {
  const roleNumber = Number((cookie >> 32n) & 0xffffn);
  const role = (Object.keys(ROLE) as FlowRole[]).find((name) => ROLE[name] === roleNumber);
  return { role, chainId: Number((cookie >> 16n) & 0xffffn), detail: Number(cookie & 0xffffn) };
}

/**
 * Group ids: `0x4` in the top nibble, then chain id (12 bits), hop (8 bits), slot (8 bits): slot 0 is the
 * hop's SELECT group, slot n the FAST_FAILOVER group of the hop's instance n - 1. OpenFlow groups carry no
 * cookie, so this range is how the reconciler knows which groups are ours.
 */
export const OUR_GROUP_BASE = 0x40000000;
export const OUR_GROUP_MASK = 0xf0000000;
/** Hops per direction: the group id's hop field keeps its top bit for the reverse direction. */
export const MAX_HOPS = 0x7f;
export const MAX_INSTANCES_PER_HOP = 0xfe;

export function groupIdOf(chainId: number, hopIndex: number, slot: number): number {
  return (OUR_GROUP_BASE | ((chainId & 0xfff) << 16) | ((hopIndex & 0xff) << 8) | (slot & 0xff)) >>> 0;
}

/**
 * The VXLAN key of a chain's packet between hosts: the top bit of the 24 marks a path (below it, keys are
 * network segments), then direction, the chain id (12 bits) and the hop's index in its direction (7 bits).
 */
export const PATH_VNI_MARK = 0x800000;
const REVERSE_VNI = 0x400000;

export function pathVni(chainId: number, hopIndex: number, reverse: boolean): number {
  return PATH_VNI_MARK | (reverse ? REVERSE_VNI : 0) | ((chainId & 0xfff) << 8) | (hopIndex & 0x7f);
}

/**
 * The MPLS label an MPLS-aware function sees: `(chain id << 8) | hop`, networking-sfc's layout, which is why
 * chain ids stop at 4095 (20 bits). The hop byte is the group id's (top bit: reverse direction).
 */
export function mplsLabelOf(chainId: number, groupHop: number): number {
  return ((chainId & 0xfff) << 8) | (groupHop & 0xff);
}

export function isOurGroup(groupId: number): boolean {
  return ((groupId & OUR_GROUP_MASK) >>> 0) === OUR_GROUP_BASE;
}

export function chainOfGroup(groupId: number): number {
  return (groupId >>> 16) & 0xfff;
}
