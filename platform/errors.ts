/**
 * RFC 7807 problem details, shared by every API of the product (ETSI SOL 013 clause 6.4 uses the same shape).
 * Contexts throw `ProblemError`s; the HTTP layer turns them (and every other failure) into
 * `application/problem+json` responses.
 */

/** Where in the request a violation was found, in OpenAPI's words. */
export type RequestPart = 'body' | 'query' | 'path' | 'header';

export interface Violation {
  /** RFC 6901 JSON Pointer into the request part named by `in` ("" is the part as a whole). */
  pointer: string;
  message: string;
  in: RequestPart;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  violations?: Violation[];
  [extension: string]: unknown;
}

const PROBLEM_TYPE_BASE = 'https://nfv-mano.local/problems/';

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function titleForStatus(status: number): string {
  return TITLES[status] ?? (status >= 500 ? 'Server Error' : 'Client Error');
}

/** A failure that is meant to reach the client as a ProblemDetails document. */
export class ProblemError extends Error {
  readonly status: number;
  readonly problemType: string;
  readonly title: string;
  readonly violations: Violation[] | undefined;
  readonly extensions: Record<string, unknown>;

  constructor(
    status: number,
    detail: string,
    options: { type?: string; title?: string; violations?: Violation[]; extensions?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
    this.status = status;
    this.problemType = PROBLEM_TYPE_BASE + (options.type ?? slugForStatus(status));
    this.title = options.title ?? titleForStatus(status);
    this.violations = options.violations;
    this.extensions = options.extensions ?? {};
  }

  toProblem(instance?: string): ProblemDetails {
    const problem: ProblemDetails = {
      type: this.problemType,
      title: this.title,
      status: this.status,
      detail: this.message,
      ...this.extensions,
    };
    if (instance !== undefined) problem.instance = instance;
    if (this.violations && this.violations.length > 0) problem.violations = this.violations;
    return problem;
  }
}

function slugForStatus(status: number): string {
  return titleForStatus(status).toLowerCase().replace(/[^a-z]+/g, '-');
}

export const badRequest = (detail: string, violations?: Violation[]): ProblemError =>
  new ProblemError(400, detail, violations ? { type: 'validation-failed', violations } : {});

export const notFound = (detail: string): ProblemError => new ProblemError(404, detail);

/** Runs a removal, for which a resource already gone (a 404 ProblemError) is as good as removed. */
export async function ignoringNotFound(remove: () => Promise<void>): Promise<void> {
  try {
    await remove();
  } catch (error) {
    if (!(error instanceof ProblemError && error.status === 404)) throw error;
  }
}

export const conflict = (detail: string, extensions?: Record<string, unknown>): ProblemError =>
  new ProblemError(409, detail, extensions ? { extensions } : {});

export const preconditionFailed = (detail: string): ProblemError => new ProblemError(412, detail);

export const unauthorized = (detail: string): ProblemError => new ProblemError(401, detail);

/** Escapes one reference token of an RFC 6901 JSON Pointer. */
export function pointerToken(token: string | number): string {
  return String(token).replace(/~/g, '~0').replace(/\//g, '~1');
}

export function pointerOf(tokens: ReadonlyArray<string | number>): string {
  return tokens.map((token) => '/' + pointerToken(token)).join('');
}
