/** JSON schemas of SOL 013 common data types that every API's bodies use. */

/** SOL 013 KeyValuePairs: any JSON object. */
export const keyValuePairsSchema = { type: 'object', additionalProperties: true } as const;
