// docker push: an image of the store to a registry over the distribution API.
// Blobs the repository has are skipped, blobs another repository of the same
// registry has are mounted from it, the rest uploaded; then the manifest, as
// stored (so its digest is the one it had), under the tag.
import { familiarName, parseReference, type Reference } from '../common/oci/reference.js';
import type { Descriptor } from '../common/oci/types.js';
import type { DistributionClient } from './distribution.js';
import { DockerError } from './errors.js';
import type { ImageRecord, ImageStore } from './images.js';

export type PushEvent =
  | { kind: 'start'; repository: string }
  | { kind: 'layer'; id: string; status: 'Preparing' | 'Pushed' | 'Layer already exists' | `Mounted from ${string}` }
  | { kind: 'done'; tag: string; digest: string; size: number };

/** Blobs uploaded at once (docker's max-concurrent-uploads default). */
export const PARALLEL_UPLOADS = 5;

export async function push(
  images: ImageStore,
  client: DistributionClient,
  input: string,
  onEvent: (e: PushEvent) => void = () => {},
  signal?: AbortSignal,
): Promise<{ digest: string; size: number }> {
  const ref = parseReference(input);
  if (ref.digest) throw new DockerError('cannot push a digest reference');
  const tag = ref.tag ?? 'latest';
  const img = await images.find(`${ref.domain}/${ref.path}:${tag}`);
  if (!img) throw new DockerError(`An image does not exist locally with the tag: ${familiarName(ref)}`);
  onEvent({ kind: 'start', repository: `${ref.domain}/${ref.path}` });
  const manifestBytes = await images.readBlob(img.manifest);
  const from = mountSource(img, ref);
  // docker lists the top layer first
  const layers = [...img.layers].reverse();
  const short = (d: Descriptor) => d.digest.slice(7, 19);
  for (const l of layers) onEvent({ kind: 'layer', id: short(l), status: 'Preparing' });
  let next = 0;
  const worker = async () => {
    while (next < layers.length) {
      const l = layers[next++]!;
      await putOne(l, (status) => onEvent({ kind: 'layer', id: short(l), status }));
    }
  };
  const putOne = async (d: Descriptor, say: (s: Extract<PushEvent, { kind: 'layer' }>['status']) => void) => {
    if (await client.hasBlob(ref, d.digest, signal)) return say('Layer already exists');
    const how = await client.putBlob(ref, d.digest, () => images.readBlob(d), from, signal);
    say(how === 'mounted' ? `Mounted from ${from}` : 'Pushed');
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL_UPLOADS, layers.length) }, worker));
  // the config: a blob like the others, not shown
  await putOne(img.config, () => {});
  const digest = await client.putManifest(ref, tag, img.manifest.mediaType, manifestBytes, signal);
  onEvent({ kind: 'done', tag, digest, size: manifestBytes.length });
  return { digest, size: manifestBytes.length };
}

/** The repository of the same registry the image was pulled from, which a registry can mount blobs from. */
function mountSource(img: ImageRecord, to: Reference): string | undefined {
  // a committed image was pulled from nowhere
  if (img.repoDigest === '') return undefined;
  const pulled = parseReference(img.repoDigest);
  return pulled.domain === to.domain && pulled.path !== to.path ? pulled.path : undefined;
}
