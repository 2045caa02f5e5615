// `dockyard mirror IMAGE… --out DIR`: the linux/386 images a site needs,
// copied from their registries into the bundled registry's static layout
// (DIR/<domain>/<repo>/oci-layout, index.json, blobs/sha256/<hex>), every
// blob verified on the way, so the site serves exactly its images and works
// offline (`npm run build` picks DIR up: build/mirror-registry.ts).
import { canonicalString, familiarString, parseReference } from '../common/oci/reference.js';
import { ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME, GUEST_PLATFORM, MediaType, type Descriptor, type ImageIndex } from '../common/oci/types.js';
import { parseConfig, parseIndex, platformMatches, verifyBlob } from '../common/oci/verify.js';
import type { DistributionClient } from './distribution.js';
import { DockerError } from './errors.js';
import { PARALLEL_DOWNLOADS, resolveManifest } from './images.js';

/** Where the mirror is written (a directory in the CLI). */
export interface MirrorFiles {
  read(rel: string): Promise<Uint8Array | undefined>;
  write(rel: string, data: Uint8Array): Promise<void>;
}

const enc = new TextEncoder();

/** Copies one image into the layout; returns what docker pull's last lines would say. */
export async function mirrorImage(
  client: DistributionClient,
  files: MirrorFiles,
  input: string,
  log: (line: string) => void = () => {},
  signal?: AbortSignal,
): Promise<{ ref: string; digest: string; layers: number }> {
  const ref = parseReference(input);
  const dir = `${ref.domain}/${ref.path}`;
  const top = await client.manifest(ref, signal);
  const child = async (d: Descriptor) => {
    const b = (await client.manifest(ref, signal, d.digest)).bytes;
    await verifyBlob(d, b);
    return b;
  };
  const { manifest, manifestDesc, manifestBytes } = await resolveManifest(top.desc, top.bytes, child);
  const fetchBlob = async (d: Descriptor) => {
    const have = await files.read(`${dir}/blobs/sha256/${d.digest.slice(7)}`);
    if (have) {
      await verifyBlob(d, have);
      return have;
    }
    const b = await client.blob(ref, d, signal ? { signal } : {});
    await verifyBlob(d, b);
    await files.write(`${dir}/blobs/sha256/${d.digest.slice(7)}`, b);
    return b;
  };
  const config = parseConfig(await fetchBlob(manifest.config), manifest.config, manifest.layers.length);
  if (!platformMatches(config, GUEST_PLATFORM)) {
    throw new DockerError(`image with reference ${familiarString(ref)} was found but does not match the specified platform: wanted linux/386, actual: ${config.os}/${config.architecture}`);
  }
  let next = 0;
  const worker = async () => {
    while (next < manifest.layers.length) {
      const l = manifest.layers[next++]!;
      await fetchBlob(l);
      log(`${l.digest.slice(7, 19)}: Pull complete`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_DOWNLOADS, manifest.layers.length) }, worker));
  await files.write(`${dir}/blobs/sha256/${manifestDesc.digest.slice(7)}`, manifestBytes);
  // index.json last: a layout never names what it does not have
  const old = await files.read(`${dir}/index.json`);
  const index: ImageIndex = old ? parseIndex(old, `${dir}/index.json`) : { schemaVersion: 2, mediaType: MediaType.index, manifests: [] };
  const name = canonicalString(ref);
  const entry: Descriptor = {
    mediaType: manifestDesc.mediaType,
    digest: manifestDesc.digest,
    size: manifestDesc.size,
    annotations: { [ANNOTATION_IMAGE_NAME]: name, ...(ref.tag !== undefined ? { [ANNOTATION_REF_NAME]: ref.tag } : {}) },
  };
  index.manifests = [
    ...index.manifests.filter((d) => (ref.tag !== undefined ? d.annotations?.[ANNOTATION_REF_NAME] !== ref.tag : d.digest !== manifestDesc.digest)),
    entry,
  ];
  await files.write(`${dir}/oci-layout`, enc.encode('{"imageLayoutVersion":"1.0.0"}'));
  await files.write(`${dir}/index.json`, enc.encode(JSON.stringify(index)));
  return { ref: name, digest: manifestDesc.digest, layers: manifest.layers.length };
}
