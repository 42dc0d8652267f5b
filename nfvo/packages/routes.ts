import crypto from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  absoluteUri,
  badRequest,
  conflict,
  listPage,
  listQuerySchema,
  notFound,
  replyAccepted,
  replyCreated,
  setEntityTag,
  tenantScope,
  type Store,
  type Versioned,
  type Write,
} from '../../platform/index.js';
import type { ContentFiles } from '../content-files.js';
import { bufferContent, negotiate, notAcceptable, sendContent, type StoredContent } from '../http/content.js';
import { checkIfMatch, modified } from '../modifications.js';
import { acceptRawUploads, MULTIPART_CONTENT_TYPE, ZIP_CONTENT_TYPES } from '../http/uploads.js';
import { idParamsSchema } from '../schemas.js';
import type { PackageNotifications } from '../subscriptions/notifications.js';
import { onboardedVnfdKey, type VnfPackageCatalogue } from './catalogue.js';
import { checkPackageAddress } from './fetch-package.js';
import {
  usageStateOf,
  VNF_PACKAGES_PATH,
  VNF_PKG_INFO_ATTRIBUTES,
  VNF_PKG_INFO_SHAPE,
  vnfPkgInfoOf,
  type VnfPackage,
} from './model.js';
import { packageFileName, type VnfPackageOnboarding } from './onboarding.js';
import { archiveEntry, readArchiveEntry, zipOf } from './package-archive.js';
import {
  createVnfPkgInfoRequestSchema,
  uploadVnfPkgFromUriRequestSchema,
  vnfPkgInfoModificationsSchema,
  type CreateVnfPkgInfoRequest,
  type UploadVnfPkgFromUriRequest,
  type VnfPkgInfoModifications,
} from './schemas.js';

export interface VnfPackageRoutesContext {
  store: Store;
  catalogue: VnfPackageCatalogue;
  onboarding: VnfPackageOnboarding;
  notifications: PackageNotifications;
  files: ContentFiles;
  pageSize: number;
}

type PackageParams = { Params: { vnfPkgId: string } };
type OnboardedParams = { Params: { vnfdId: string } };

const TAGS = ['vnfpkgm'];

export function apiRootOf(request: FastifyRequest): string {
  return absoluteUri(request, '');
}

/** SOL 005 clause 9 (VNF package management) and the SOL 003 `onboarded_vnf_packages` resources of the same API. */
export function vnfPackageRoutes(context: VnfPackageRoutesContext) {
  const { store, catalogue, onboarding, notifications, files } = context;

  async function packageOf(request: FastifyRequest, vnfPkgId: string): Promise<Versioned<VnfPackage>> {
    const found = await catalogue.packages.get(vnfPkgId, tenantScope(request.principal));
    if (!found) throw notFound(`No VNF package ${vnfPkgId}.`);
    return found;
  }

  async function onboardedPackageOf(request: FastifyRequest, vnfPkgId: string): Promise<VnfPackage> {
    const { value: pkg } = await packageOf(request, vnfPkgId);
    if (pkg.onboardingState !== 'ONBOARDED') {
      throw conflict(`VNF package ${vnfPkgId} is ${pkg.onboardingState}, not ONBOARDED: it has no content to read yet.`, { onboardingState: pkg.onboardingState });
    }
    return pkg;
  }

  /** SOL 003: the one onboarded package holding a VNFD, among the caller's (all, for the admin tenant). */
  async function packageByVnfdId(request: FastifyRequest, vnfdId: string): Promise<VnfPackage> {
    const found = await catalogue.onboardedByVnfdId(vnfdId, tenantScope(request.principal));
    const [first] = found;
    if (first === undefined) throw notFound(`No onboarded VNF package holds the VNFD ${vnfdId}.`);
    if (found.length > 1) {
      const holders = found.map(({ value }) => `${value.id} (tenant ${value.tenantId})`).join(', ');
      throw conflict(`The VNFD ${vnfdId} is onboarded in several tenants: ${holders}. Ask with a token of one of them or by package id.`);
    }
    return first.value;
  }

  function packageContent(pkg: VnfPackage): StoredContent {
    const name = packageFileName(pkg.id);
    return { contentType: 'application/zip', size: files.size(name), read: async ({ start, end }) => files.stream(name, start, end), fileName: `${pkg.id}.zip` };
  }

  async function sendVnfd(request: FastifyRequest, reply: FastifyReply, pkg: VnfPackage): Promise<FastifyReply> {
    const content = pkg.content;
    const descriptorFiles = content?.descriptorFiles ?? [];
    const single = descriptorFiles.length === 1;
    const chosen = negotiate(request.headers.accept, single ? ['text/plain', 'application/zip'] : ['application/zip']);
    if (chosen === undefined) {
      throw notAcceptable(
        single
          ? 'The VNFD is served as text/plain or application/zip.'
          : `The VNFD of package ${pkg.id} has ${descriptorFiles.length} files; it is served as application/zip only.`,
      );
    }
    const zipFile = files.pathOf(packageFileName(pkg.id));
    if (chosen === 'text/plain') {
      const bytes = await readArchiveEntry(zipFile, descriptorFiles[0] as string);
      if (!bytes) throw notFound(`The VNFD file ${descriptorFiles[0]} is missing from package ${pkg.id}.`);
      return sendContent(request, reply, bufferContent(bytes, 'text/plain'));
    }
    const paths = [...(content?.toscaMetaFile ? [content.toscaMetaFile] : []), ...descriptorFiles];
    const entries = await Promise.all(paths.map(async (path) => ({ path, bytes: (await readArchiveEntry(zipFile, path)) ?? Buffer.alloc(0) })));
    return sendContent(request, reply, bufferContent(await zipOf(entries), 'application/zip', 'vnfd.zip'));
  }

  async function sendManifest(request: FastifyRequest, reply: FastifyReply, pkg: VnfPackage): Promise<FastifyReply> {
    const manifestFile = pkg.content?.manifestFile;
    if (manifestFile === undefined) throw notFound(`VNF package ${pkg.id} has no manifest file.`);
    const chosen = negotiate(request.headers.accept, ['text/plain', 'application/zip']);
    if (chosen === undefined) throw notAcceptable('The manifest is served as text/plain or application/zip.');
    const bytes = await readArchiveEntry(files.pathOf(packageFileName(pkg.id)), manifestFile);
    if (!bytes) throw notFound(`The manifest ${manifestFile} is missing from package ${pkg.id}.`);
    if (chosen === 'text/plain') return sendContent(request, reply, bufferContent(bytes, 'text/plain'));
    return sendContent(request, reply, bufferContent(await zipOf([{ path: manifestFile, bytes }]), 'application/zip', 'manifest.zip'));
  }

  async function sendArtifact(request: FastifyRequest, reply: FastifyReply, pkg: VnfPackage, artifactPath: string): Promise<FastifyReply> {
    if (!(pkg.content?.artifactPaths ?? []).includes(artifactPath)) throw notFound(`VNF package ${pkg.id} has no artifact ${artifactPath}.`);
    const entry = await archiveEntry(files.pathOf(packageFileName(pkg.id)), artifactPath);
    if (!entry) throw notFound(`The artifact ${artifactPath} is missing from package ${pkg.id}.`);
    try {
      return await sendContent(request, reply, { contentType: 'application/octet-stream', size: entry.size, read: entry.read, fileName: artifactPath.split('/').pop() ?? artifactPath });
    } catch (error) {
      entry.close();
      throw error;
    }
  }

  return async (scope: FastifyInstance): Promise<void> => {
    const params = idParamsSchema('vnfPkgId');

    scope.post<{ Body: CreateVnfPkgInfoRequest }>(
      '/vnf_packages',
      { schema: { tags: TAGS, summary: 'Create a VNF package resource', body: createVnfPkgInfoRequestSchema } },
      async (request, reply) => {
        const pkg: VnfPackage = {
          id: crypto.randomUUID(),
          tenantId: request.principal.tenantId,
          onboardingState: 'CREATED',
          operationalState: 'DISABLED',
          userDefinedData: request.body.userDefinedData ?? {},
          createdAt: new Date().toISOString(),
          referencedByNsds: [],
          usedBy: [],
        };
        const { revision } = await catalogue.packages.insert(pkg);
        setEntityTag(reply, revision);
        return replyCreated(request, reply, `${VNF_PACKAGES_PATH}/${pkg.id}`, vnfPkgInfoOf(pkg, apiRootOf(request)));
      },
    );

    scope.get('/vnf_packages', { schema: { tags: TAGS, summary: 'Query VNF packages', querystring: listQuerySchema } }, async (request, reply) =>
      listPage({
        request,
        reply,
        repository: catalogue.packages,
        tenantId: tenantScope(request.principal),
        view: (pkg: VnfPackage) => vnfPkgInfoOf(pkg, apiRootOf(request)),
        shape: VNF_PKG_INFO_SHAPE,
        pageSize: context.pageSize,
        isKnownAttribute: (path) => VNF_PKG_INFO_ATTRIBUTES.has(path[0] ?? ''),
      }),
    );

    scope.get<PackageParams>('/vnf_packages/:vnfPkgId', { schema: { tags: TAGS, summary: 'Read a VNF package', params } }, async (request, reply) => {
      const { value, revision } = await packageOf(request, request.params.vnfPkgId);
      setEntityTag(reply, revision);
      return vnfPkgInfoOf(value, apiRootOf(request));
    });

    scope.patch<PackageParams & { Body: VnfPkgInfoModifications }>(
      '/vnf_packages/:vnfPkgId',
      {
        schema: { tags: TAGS, summary: 'Enable or disable a VNF package, change its user data (JSON Merge Patch)', params, body: vnfPkgInfoModificationsSchema },
      },
      async (request, reply) => {
        const { value: pkg, revision } = await packageOf(request, request.params.vnfPkgId);
        checkIfMatch(request, `VNF package ${pkg.id}`, revision);
        const modifications = request.body;
        const changes = modified(`VNF package ${pkg.id}`, pkg, modifications);
        const next: VnfPackage = { ...pkg, ...changes };
        const writes: Write[] = [catalogue.packages.updateWrite(next, revision)];
        if (next.operationalState !== pkg.operationalState) {
          writes.push(...(await notifications.writesFor({ type: 'VnfPackageChangeNotification', changeType: 'OP_STATE_CHANGE' }, next)));
        }
        const [newRevision = revision + 1] = await store.commit(writes);
        notifications.dispatch();
        setEntityTag(reply, newRevision);
        return modifications;
      },
    );

    scope.delete<PackageParams>('/vnf_packages/:vnfPkgId', { schema: { tags: TAGS, summary: 'Delete a VNF package', params } }, async (request, reply) => {
      const { value: pkg, revision } = await packageOf(request, request.params.vnfPkgId);
      checkIfMatch(request, `VNF package ${pkg.id}`, revision);
      if (pkg.onboardingState === 'UPLOADING' || pkg.onboardingState === 'PROCESSING') {
        throw conflict(`VNF package ${pkg.id} is ${pkg.onboardingState}; it can be deleted once onboarding has ended.`, { onboardingState: pkg.onboardingState });
      }
      if (pkg.operationalState !== 'DISABLED' || usageStateOf(pkg) !== 'NOT_IN_USE') {
        throw conflict(
          `VNF package ${pkg.id} is ${pkg.operationalState} and ${usageStateOf(pkg)}; only a DISABLED package that is NOT_IN_USE can be deleted.`,
          { operationalState: pkg.operationalState, usageState: usageStateOf(pkg) },
        );
      }
      if (pkg.referencedByNsds.length > 0) {
        throw conflict(
          `VNF package ${pkg.id} is used by the onboarded NSD(s) ${pkg.referencedByNsds.join(', ')}; delete those first.`,
          { nsdInfoIds: pkg.referencedByNsds },
        );
      }
      const writes: Write[] = [catalogue.packages.deleteWrite(pkg.id, revision)];
      if (pkg.onboardingState === 'ONBOARDED' && pkg.vnfdId !== undefined) {
        writes.push(catalogue.onboardedVnfds.deleteWrite(onboardedVnfdKey(pkg.tenantId, pkg.vnfdId)));
        writes.push(...(await notifications.writesFor({ type: 'VnfPackageChangeNotification', changeType: 'PKG_DELETE' }, pkg)));
      }
      await store.commit(writes);
      notifications.dispatch();
      await files.remove(packageFileName(pkg.id));
      return reply.code(204).send();
    });

    await scope.register(async (uploads) => {
      acceptRawUploads(uploads, [...ZIP_CONTENT_TYPES, MULTIPART_CONTENT_TYPE]);
      uploads.put<PackageParams>(
        '/vnf_packages/:vnfPkgId/package_content',
        {
          schema: {
            tags: TAGS,
            summary: 'Upload the content of a VNF package (application/zip, or the "file" part of multipart/form-data)',
            params,
          },
        },
        async (request, reply) => {
          const found = await packageOf(request, request.params.vnfPkgId);
          await onboarding.upload(found, request.body as Readable, request.headers['content-type']);
          return replyAccepted(request, reply, `${VNF_PACKAGES_PATH}/${found.value.id}`);
        },
      );
    });

    scope.post<PackageParams & { Body: UploadVnfPkgFromUriRequest }>(
      '/vnf_packages/:vnfPkgId/package_content/upload_from_uri',
      { schema: { tags: TAGS, summary: 'Have the NFVO fetch the content of a VNF package', params, body: uploadVnfPkgFromUriRequestSchema } },
      async (request, reply) => {
        const checked = checkPackageAddress(request.body.addressInformation);
        if (!checked.ok) {
          throw badRequest(`The package cannot be fetched from there: ${checked.reason}.`, [
            { pointer: '/addressInformation', message: checked.reason, in: 'body' },
          ]);
        }
        const found = await packageOf(request, request.params.vnfPkgId);
        const { userName, password } = request.body;
        await onboarding.uploadFromUri(found, checked.address, userName === undefined ? undefined : { userName, password: password ?? '' });
        return replyAccepted(request, reply, `${VNF_PACKAGES_PATH}/${found.value.id}`);
      },
    );

    scope.get<PackageParams>(
      '/vnf_packages/:vnfPkgId/package_content',
      { schema: { tags: TAGS, summary: 'Fetch the content of an onboarded VNF package (Range supported)', params } },
      async (request, reply) => sendContent(request, reply, packageContent(await onboardedPackageOf(request, request.params.vnfPkgId))),
    );

    scope.get<PackageParams>(
      '/vnf_packages/:vnfPkgId/vnfd',
      { schema: { tags: TAGS, summary: 'Read the VNFD of an onboarded VNF package (text/plain or application/zip)', params } },
      async (request, reply) => sendVnfd(request, reply, await onboardedPackageOf(request, request.params.vnfPkgId)),
    );

    scope.get<PackageParams>(
      '/vnf_packages/:vnfPkgId/manifest',
      { schema: { tags: TAGS, summary: 'Read the manifest of an onboarded VNF package', params } },
      async (request, reply) => sendManifest(request, reply, await onboardedPackageOf(request, request.params.vnfPkgId)),
    );

    scope.get<{ Params: { vnfPkgId: string; '*': string } }>(
      '/vnf_packages/:vnfPkgId/artifacts/*',
      { schema: { tags: TAGS, summary: 'Fetch one artifact of an onboarded VNF package (Range supported)' } },
      async (request, reply) => sendArtifact(request, reply, await onboardedPackageOf(request, request.params.vnfPkgId), request.params['*']),
    );

    const vnfdParams = idParamsSchema('vnfdId');
    scope.get(
      '/onboarded_vnf_packages',
      { schema: { tags: TAGS, summary: 'Query onboarded VNF packages (SOL 003)', querystring: listQuerySchema } },
      async (request, reply) =>
        listPage({
          request,
          reply,
          repository: catalogue.packages,
          tenantId: tenantScope(request.principal),
          where: { onboardingState: 'ONBOARDED' },
          view: (pkg: VnfPackage) => vnfPkgInfoOf(pkg, apiRootOf(request)),
          shape: VNF_PKG_INFO_SHAPE,
          pageSize: context.pageSize,
          isKnownAttribute: (path) => VNF_PKG_INFO_ATTRIBUTES.has(path[0] ?? ''),
        }),
    );
    scope.get<OnboardedParams>(
      '/onboarded_vnf_packages/:vnfdId',
      { schema: { tags: TAGS, summary: 'Read the onboarded VNF package holding a VNFD (SOL 003)', params: vnfdParams } },
      async (request) => vnfPkgInfoOf(await packageByVnfdId(request, request.params.vnfdId), apiRootOf(request)),
    );
    scope.get<OnboardedParams>(
      '/onboarded_vnf_packages/:vnfdId/vnfd',
      { schema: { tags: TAGS, summary: 'Read a VNFD by its id (SOL 003)', params: vnfdParams } },
      async (request, reply) => sendVnfd(request, reply, await packageByVnfdId(request, request.params.vnfdId)),
    );
    scope.get<OnboardedParams>(
      '/onboarded_vnf_packages/:vnfdId/package_content',
      { schema: { tags: TAGS, summary: 'Fetch the package holding a VNFD (SOL 003, Range supported)', params: vnfdParams } },
      async (request, reply) => sendContent(request, reply, packageContent(await packageByVnfdId(request, request.params.vnfdId))),
    );
    scope.get<OnboardedParams>(
      '/onboarded_vnf_packages/:vnfdId/manifest',
      { schema: { tags: TAGS, summary: 'Read the manifest of the package holding a VNFD (SOL 003)', params: vnfdParams } },
      async (request, reply) => sendManifest(request, reply, await packageByVnfdId(request, request.params.vnfdId)),
    );
    scope.get<{ Params: { vnfdId: string; '*': string } }>(
      '/onboarded_vnf_packages/:vnfdId/artifacts/*',
      { schema: { tags: TAGS, summary: 'Fetch one artifact of the package holding a VNFD (SOL 003, Range supported)' } },
      async (request, reply) => sendArtifact(request, reply, await packageByVnfdId(request, request.params.vnfdId), request.params['*']),
    );
  };
}
