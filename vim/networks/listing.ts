import type { NeutronView } from './model.js';

export type ListQuery = Readonly<Record<string, readonly string[] | undefined>>;

/** Neutron's `fixed_ips=ip_address=10.0.0.5` filter: matches a port holding that address. */
function matchesFixedIps(value: unknown, wanted: string): boolean {
  const [key = '', expected = ''] = wanted.split('=', 2);
  return Array.isArray(value) && value.some((fixedIp: Record<string, unknown>) => String(fixedIp[key]) === expected);
}

function matchesValue(value: unknown, wanted: string): boolean {
  if (typeof value === 'boolean') return String(value) === wanted.toLowerCase();
  if (value === null) return wanted === '' || wanted.toLowerCase() === 'none';
  return String(value) === wanted;
}

/** Every filtered attribute must match; the values given for one attribute are alternatives. */
export function matchesFilters(view: NeutronView, query: ListQuery): boolean {
  return Object.entries(query).every(([attribute, wanted]) => {
    if (attribute === 'fields' || wanted === undefined) return true;
    const value = view[attribute];
    return wanted.some((one) => (attribute === 'fixed_ips' ? matchesFixedIps(value, one) : matchesValue(value, one)));
  });
}

/** `fields=a&fields=b` keeps only those attributes; names a resource does not have are ignored, as Neutron does. */
export function selectFields(view: NeutronView, fields: readonly string[] | undefined): NeutronView {
  if (fields === undefined || fields.length === 0) return view;
  return Object.fromEntries(Object.entries(view).filter(([attribute]) => fields.includes(attribute)));
}
