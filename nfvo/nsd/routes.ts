import crypto from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  conflict,
  listPage,
  listQuerySchema,
  notFound,
  ProblemError,
  replyAccepted,
  replyCreated,
  setEntityTag,
  StoreConflictError,
  tenantScope,
  type Store,
  type Versioned,
} from '../../platform/index.js';
import type { ContentFiles } from '../content-files.js';
import { bufferContent, negotiate, notAcceptable, sendContent } from '../http/content.js';
import { checkIfMatch, modified } from '../modifications.js';
import { mediaTypeOf, MULTIPART_CONTENT_TYPE, multipartFile, ZIP_CONTENT_TYPES } from '../http/uploads.js';
import { zipOf } from '../packages/package-archive.js';
import { usageStateOf } from '../packages/model.js';
import { apiRootOf } from '../packages/routes.js';
import { idParamsSchema, keyValuePairsSchema, operationalStateSchema } from '../schemas.js';
import { NS_DESCRIPTORS_PATH, NSD_INFO_ATTRIBUTES, NSD_INFO_SHAPE, nsdInfoOf, type NsdContentKind, type NsDescriptor } from './model.js';
import type { NsdCatalogue } from './catalogue.js';
import { MAX_NSD_BYTES, nsdFileName, type NsdOnboarding } from './onboarding.js';

const YAML_CONTENT_TYPES = ['text/plain', 'application/x-yaml', 'application/yaml', 'text/yaml', 'text/x-yaml'] as const;

/** SOL 005 clause 5.5.2.3 CreateNsdInfoRequest. */
const createNsdInfoRequestSchema = { type: 'object', additionalProperties: false, properties: { userDefinedData: keyValuePairsSchema } } as const;

/** SOL 005 clause 5.5.2.6 NsdInfoModifications. */
const nsdInfoModificationsSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { nsdOperationalState: operationalStateSchema, userDefinedData: keyValuePairsSchema },
} as const;

interface NsdInfoModifications {
  nsdOperationalState?: 'ENABLED' | 'DISABLED';
  userDefinedData?: Record<string, unknown>;
}

type NsdParams = { Params: { nsdInfoId: string } };

const TAGS = ['nsd'];
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/** What was uploaded: the media type says, and for a multipart `file` part the first bytes do. */
async function uploadedContent(body: Buffer, contentType: string | undefined): Promise<{ bytes: Buffer; kind: NsdContentKind }> {
  const mediaType = mediaTypeOf(contentType);
  if (mediaType === MULTIPART_CONTENT_TYPE) {
    const part = await multipartFile(body, contentType ?? '');
    if (!part.ok) throw new ProblemError(400, part.reason, { violations: [{ pointer: '', message: part.reason, in: 'body' }] });
    return { bytes: part.bytes, kind: part.bytes.subarray(0, 4).equals(ZIP_MAGIC) ? 'zip' : 'yaml' };
  }
  return { bytes: body, kind: (ZIP_CONTENT_TYPES as readonly string[]).includes(mediaType) ? 'zip' : 'yaml' };
}

/** SOL 005 clause 5 (NSD management): NSD resources and their content. */
export function nsdRoutes(store: Store, catalogue: NsdCatalogue, onboarding: NsdOnboarding, files: ContentFiles, pageSize: number) {
  const descriptors = catalogue.descriptors;

  async function descriptorOf(request: FastifyRequest, nsdInfoId: string): Promise<Versioned<NsDescriptor>> {
    const found = await descriptors.get(nsdInfoId, tenantScope(request.principal));
    if (!found) throw notFound(`No NSD ${nsdInfoId}.`);
    return found;
  }

  return async (scope: FastifyInstance): Promise<void> => {
    const params = idParamsSchema('nsdInfoId');

    scope.post<{ Body: { userDefinedData?: Record<string, unknown> } }>(
      '/ns_descriptors',
      { schema: { tags: TAGS, summary: 'Create an NSD resource', body: createNsdInfoRequestSchema } },
      async (request, reply) => {
        const nsd: NsDescriptor = {
          id: crypto.randomUUID(),
          tenantId: request.principal.tenantId,
          nsdOnboardingState: 'CREATED',
          nsdOperationalState: 'DISABLED',
          userDefinedData: request.body.userDefinedData ?? {},
          createdAt: new Date().toISOString(),
          vnfPkgIds: [],
          usedBy: [],
        };
        const { revision } = await descriptors.insert(nsd);
        setEntityTag(reply, revision);
        return replyCreated(request, reply, `${NS_DESCRIPTORS_PATH}/${nsd.id}`, nsdInfoOf(nsd, apiRootOf(request)));
      },
    );

    scope.get('/ns_descriptors', { schema: { tags: TAGS, summary: 'Query NSD resources', querystring: listQuerySchema } }, async (request, reply) =>
      listPage({
        request,
        reply,
        repository: descriptors,
        tenantId: tenantScope(request.principal),
        view: (nsd: NsDescriptor) => nsdInfoOf(nsd, apiRootOf(request)),
        shape: NSD_INFO_SHAPE,
        pageSize,
        isKnownAttribute: (path) => NSD_INFO_ATTRIBUTES.has(path[0] ?? ''),
      }),
    );

    scope.get<NsdParams>('/ns_descriptors/:nsdInfoId', { schema: { tags: TAGS, summary: 'Read an NSD resource', params } }, async (request, reply) => {
      const { value, revision } = await descriptorOf(request, request.params.nsdInfoId);
      setEntityTag(reply, revision);
      return nsdInfoOf(value, apiRootOf(request));
    });

    scope.patch<NsdParams & { Body: NsdInfoModifications }>(
      '/ns_descriptors/:nsdInfoId',
      {
        schema: { tags: TAGS, summary: 'Enable or disable an NSD, change its user data (JSON Merge Patch)', params, body: nsdInfoModificationsSchema },
      },
      async (request, reply) => {
        const { value: nsd, revision } = await descriptorOf(request, request.params.nsdInfoId);
        checkIfMatch(request, `NSD ${nsd.id}`, revision);
        const modifications = request.body;
        const changes = modified(
          `NSD ${nsd.id}`,
          { onboardingState: nsd.nsdOnboardingState, operationalState: nsd.nsdOperationalState, userDefinedData: nsd.userDefinedData },
          { operationalState: modifications.nsdOperationalState, userDefinedData: modifications.userDefinedData },
        );
        const next: NsDescriptor = { ...nsd, nsdOperationalState: changes.operationalState, userDefinedData: changes.userDefinedData };
        const saved = await descriptors.update(next, revision);
        setEntityTag(reply, saved.revision);
        return modifications;
      },
    );

    scope.delete<NsdParams>('/ns_descriptors/:nsdInfoId', { schema: { tags: TAGS, summary: 'Delete an NSD resource', params } }, async (request, reply) => {
      for (;;) {
        const found = await descriptorOf(request, request.params.nsdInfoId);
        const nsd = found.value;
        checkIfMatch(request, `NSD ${nsd.id}`, found.revision);
        if (nsd.nsdOnboardingState === 'UPLOADING' || nsd.nsdOnboardingState === 'PROCESSING') {
          throw conflict(`NSD ${nsd.id} is ${nsd.nsdOnboardingState}; it can be deleted once onboarding has ended.`, { nsdOnboardingState: nsd.nsdOnboardingState });
        }
        if (nsd.nsdOperationalState !== 'DISABLED' || usageStateOf(nsd) !== 'NOT_IN_USE') {
          throw conflict(
            `NSD ${nsd.id} is ${nsd.nsdOperationalState} and ${usageStateOf(nsd)}; only a DISABLED NSD that is NOT_IN_USE can be deleted.`,
            { nsdOperationalState: nsd.nsdOperationalState, nsdUsageState: usageStateOf(nsd) },
          );
        }
        try {
          await store.commit(await onboarding.deletionWrites(found));
        } catch (error) {
          // A referenced package changed meanwhile (its other NSDs, its user data): read everything again.
          if (error instanceof StoreConflictError && error.collection !== descriptors.spec.name) continue;
          throw error;
        }
        await files.remove(nsdFileName(nsd.id));
        return reply.code(204).send();
      }
    });

    await scope.register(async (uploads) => {
      uploads.removeAllContentTypeParsers();
      uploads.addContentTypeParser(
        [...YAML_CONTENT_TYPES, ...ZIP_CONTENT_TYPES, MULTIPART_CONTENT_TYPE],
        { parseAs: 'buffer', bodyLimit: MAX_NSD_BYTES },
        (_request, body, done) => done(null, body),
      );
      uploads.put<NsdParams>(
        '/ns_descriptors/:nsdInfoId/nsd_content',
        { schema: { tags: TAGS, summary: 'Upload the content of an NSD (YAML as text/plain or application/x-yaml, or a zip)', params } },
        async (request, reply) => {
          const found = await descriptorOf(request, request.params.nsdInfoId);
          const body = request.body as Buffer;
          if (body.length === 0) throw new ProblemError(400, 'The upload had no content.');
          const { bytes, kind } = await uploadedContent(body, request.headers['content-type']);
          await onboarding.upload(found, bytes, kind);
          return replyAccepted(request, reply, `${NS_DESCRIPTORS_PATH}/${found.value.id}`);
        },
      );
    });

    scope.get<NsdParams>(
      '/ns_descriptors/:nsdInfoId/nsd_content',
      { schema: { tags: TAGS, summary: 'Fetch the content of an onboarded NSD (Range supported)', params } },
      async (request, reply) => {
        const { value: nsd } = await descriptorOf(request, request.params.nsdInfoId);
        if (nsd.nsdOnboardingState !== 'ONBOARDED') {
          throw conflict(`NSD ${nsd.id} is ${nsd.nsdOnboardingState}, not ONBOARDED: it has no content to read yet.`, { nsdOnboardingState: nsd.nsdOnboardingState });
        }
        const kind = nsd.contentKind ?? 'yaml';
        const chosen = negotiate(request.headers.accept, kind === 'yaml' ? ['text/plain', 'application/zip'] : ['application/zip']);
        if (chosen === undefined) throw notAcceptable(kind === 'yaml' ? 'The NSD is served as text/plain or application/zip.' : 'The NSD was uploaded as a zip and is served as application/zip.');
        const bytes = await files.read(nsdFileName(nsd.id));
        if (chosen === 'text/plain') return sendContent(request, reply, bufferContent(bytes, 'text/plain'));
        const zip = kind === 'zip' ? bytes : await zipOf([{ path: `${nsd.nsdName ?? nsd.id}.yaml`, bytes }]);
        return sendContent(request, reply, bufferContent(zip, 'application/zip', `${nsd.id}.zip`));
      },
    );
  };
}
