import { formatDescriptorError, type DescriptorError } from '../descriptors/index.js';
import type { ProblemDetails } from '../platform/index.js';

/**
 * `onboardingFailureDetails` of a VNF package or an NSD (SOL 005: a ProblemDetails kept on the resource when
 * uploading or processing fails): the reason in `detail`, and for descriptor errors one line per error there
 * as well as the structured list in `errors`.
 */

const FAILURE_TYPE_BASE = 'https://nfv-mano.local/problems/';
const LISTED_IN_DETAIL = 20;

export function invalidContentFailure(what: string, instance: string, errors: readonly DescriptorError[]): ProblemDetails {
  const lines = errors.slice(0, LISTED_IN_DETAIL).map(formatDescriptorError);
  if (errors.length > LISTED_IN_DETAIL) lines.push(`... and ${errors.length - LISTED_IN_DETAIL} more (see "errors")`);
  return {
    type: `${FAILURE_TYPE_BASE}invalid-content`,
    title: `The ${what} is not valid`,
    status: 422,
    detail: `The ${what} has ${errors.length} error(s):\n${lines.join('\n')}`,
    instance,
    errors: errors.map((error) => ({ ...error, location: formatDescriptorError(error) })),
  };
}

export function onboardingFailure(kind: string, status: number, title: string, detail: string, instance: string, extensions: Record<string, unknown> = {}): ProblemDetails {
  return { type: `${FAILURE_TYPE_BASE}${kind}`, title, status, detail, instance, ...extensions };
}
