/** JSON schemas shared by the NFVO's APIs (SOL 013 common data types). */

export { keyValuePairsSchema } from '../platform/index.js';

export const operationalStateSchema = { type: 'string', enum: ['ENABLED', 'DISABLED'] } as const;

export const usageStateSchema = { type: 'string', enum: ['IN_USE', 'NOT_IN_USE'] } as const;

export function idParamsSchema(...names: string[]): object {
  return {
    type: 'object',
    required: names,
    properties: Object.fromEntries(names.map((name) => [name, { type: 'string', minLength: 1, maxLength: 255 }])),
  };
}
