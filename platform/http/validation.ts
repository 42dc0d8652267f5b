import { Ajv, type ErrorObject, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifySchemaCompiler } from 'fastify';
import { pointerToken, type RequestPart, type Violation } from '../errors.js';

/**
 * Request validation with ajv, configured for strictness where fastify's defaults are lenient:
 * bodies are never coerced (a string "5" is not the number 5) and unknown properties are refused, not
 * silently stripped, when a schema says `additionalProperties: false`. Query strings and path parameters
 * are text on the wire, so there types are coerced. Every violation is reported, not only the first.
 */
function makeAjv(coerce: boolean): Ajv {
  const options: Options = {
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    coerceTypes: coerce ? 'array' : false,
    strict: false,
  };
  const ajv = new Ajv(options);
  (addFormats as unknown as (ajv: Ajv) => Ajv)(ajv);
  return ajv;
}

const bodyAjv = makeAjv(false);
const textAjv = makeAjv(true);

export const validatorCompiler: FastifySchemaCompiler<unknown> = ({ schema, httpPart }) => {
  const ajv = httpPart === 'body' ? bodyAjv : textAjv;
  return ajv.compile(schema as object) as ReturnType<FastifySchemaCompiler<unknown>>;
};

const PART_OF_CONTEXT: Readonly<Record<string, RequestPart>> = {
  body: 'body',
  querystring: 'query',
  params: 'path',
  headers: 'header',
};

export function partOfValidationContext(context: string | undefined): RequestPart {
  return PART_OF_CONTEXT[context ?? 'body'] ?? 'body';
}

/** One violation per ajv error, pointing at the offending member (for `required`, the missing one). */
export function violationsFromAjv(errors: readonly ErrorObject[], part: RequestPart): Violation[] {
  return errors.map((error) => {
    const params = error.params as Record<string, unknown>;
    let pointer = error.instancePath;
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
      pointer += '/' + pointerToken(params.missingProperty);
      message = 'is required';
    } else if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
      pointer += '/' + pointerToken(params.additionalProperty);
      message = 'is not a known attribute';
    } else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
      message = `must be one of ${params.allowedValues.map((value) => JSON.stringify(value)).join(', ')}`;
    }
    return { pointer, message, in: part };
  });
}
