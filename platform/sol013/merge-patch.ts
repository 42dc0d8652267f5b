type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * RFC 7396 JSON Merge Patch, the format of SOL 013 modifications: objects merge member by member, `null` removes a
 * member, anything else replaces. A modification body is read as a merge patch whether it comes as
 * application/merge-patch+json or as application/json, which the Debian python3-tackerclient sends.
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}
