// OCI verification on its own: the checks every blob and document passes
// before it is used, each refusal with the words that name what is wrong.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { chainIds, checkDescriptor, ImageError, MAX_BLOB, MAX_DOCUMENT, parseConfig, parseIndex, parseIndexOrManifest, platformMatches, verifyBlob } from '../../src/common/oci/verify.js';
import type { Descriptor } from '../../src/common/oci/types.js';

const enc = new TextEncoder();
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const D = (c: string) => `sha256:${c.repeat(64)}`;
const json = (v: unknown) => enc.encode(JSON.stringify(v));

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const INDEX = 'application/vnd.oci.image.index.v1+json';
const desc = (mediaType = MANIFEST): Descriptor => ({ mediaType, digest: D('a'), size: 1 });
const layerDesc = { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: D('b'), size: 10 };
const configDesc = { mediaType: 'application/vnd.oci.image.config.v1+json', digest: D('c'), size: 10 };

describe('checkDescriptor', () => {
  it('accepts a well-formed one, platform and all, up to MAX_BLOB', () => {
    const d = { mediaType: 'x', digest: D('0'), size: MAX_BLOB, platform: { os: 'linux', architecture: '386' } };
    expect(checkDescriptor(d, 'w')).toBe(d);
    expect(checkDescriptor({ mediaType: 'x', digest: D('0'), size: 0 }, 'w').size).toBe(0);
  });

  it.each<[string, unknown, string]>([
    ['not an object', [1], 'w: descriptor is not an object'],
    ['null', null, 'w: descriptor is not an object'],
    ['no mediaType', { digest: D('0'), size: 1 }, 'w: missing mediaType'],
    ['an empty mediaType', { mediaType: '', digest: D('0'), size: 1 }, 'w: missing mediaType'],
    ['a digest of another algorithm', { mediaType: 'x', digest: `sha512:${'0'.repeat(64)}`, size: 1 }, `w: invalid digest "sha512:${'0'.repeat(64)}"`],
    ['a short digest', { mediaType: 'x', digest: `sha256:${'0'.repeat(63)}`, size: 1 }, `w: invalid digest "sha256:${'0'.repeat(63)}"`],
    ['a digest with a tail', { mediaType: 'x', digest: `${D('0')}x`, size: 1 }, `w: invalid digest "${D('0')}x"`],
    ['a digest that is not a string', { mediaType: 'x', digest: 5, size: 1 }, 'w: invalid digest 5'],
    ['a fractional size', { mediaType: 'x', digest: D('0'), size: 1.5 }, 'w: invalid size 1.5'],
    ['an unsafe size', { mediaType: 'x', digest: D('0'), size: 2 ** 53 }, 'w: invalid size 9007199254740992'],
    ['a size over MAX_BLOB', { mediaType: 'x', digest: D('0'), size: MAX_BLOB + 1 }, `w: blob of ${MAX_BLOB + 1} bytes is larger than the ${MAX_BLOB} bytes allowed`],
    ['a platform that is not an object', { mediaType: 'x', digest: D('0'), size: 1, platform: 'linux/386' }, 'w: invalid platform'],
  ])('refuses %s', (_what, v, message) => {
    expect(() => checkDescriptor(v, 'w')).toThrow(new ImageError(message));
  });
});

describe('verifyBlob', () => {
  const bytes = enc.encode('hello');
  const good = { mediaType: 'x', digest: `sha256:${sha(bytes)}`, size: 5 };
  it('accepts exactly the named bytes', async () => {
    await expect(verifyBlob(good, bytes)).resolves.toBeUndefined();
  });
  it('refuses other bytes of the same size by hash, and other sizes before hashing', async () => {
    await expect(verifyBlob(good, enc.encode('hellp'))).rejects.toThrow(new ImageError(`blob ${good.digest}: content hashes to sha256:${sha('hellp')}`));
    await expect(verifyBlob(good, enc.encode('hello!'))).rejects.toThrow(new ImageError(`blob ${good.digest}: size 6 does not match the descriptor's 5`));
  });
});

describe('parseIndexOrManifest', () => {
  const manifest = { schemaVersion: 2, mediaType: MANIFEST, config: configDesc, layers: [layerDesc] };

  it('tells a manifest from an index by its mediaType, or else by the descriptor\'s', () => {
    expect(parseIndexOrManifest(json(manifest), desc())).toEqual({ manifest });
    const { mediaType: _, ...bare } = manifest;
    expect(parseIndexOrManifest(json(bare), desc())).toEqual({ manifest: bare });
    const index = { schemaVersion: 2, mediaType: INDEX, manifests: [desc()] };
    expect(parseIndexOrManifest(json(index), desc(INDEX))).toEqual({ index });
    // a descriptor without a media type takes the document's word
    expect(parseIndexOrManifest(json(index), { ...desc(''), mediaType: '' })).toEqual({ index });
  });

  it.each<[string, unknown, Descriptor, string]>([
    ['a document of another type than served', { ...manifest, mediaType: INDEX }, desc(), `${D('a')}: served as ${MANIFEST} but is ${INDEX}`],
    ['schemaVersion 1', { ...manifest, schemaVersion: 1 }, desc(), `${D('a')}: unsupported schemaVersion 1`],
    ['an index with layers', { schemaVersion: 2, mediaType: INDEX, manifests: [], layers: [] }, desc(INDEX), `${D('a')}: an index must have manifests and no layers`],
    ['an index without manifests', { schemaVersion: 2, mediaType: INDEX }, desc(INDEX), `${D('a')}: an index must have manifests and no layers`],
    ['an index with a bad entry', { schemaVersion: 2, mediaType: INDEX, manifests: [{}] }, desc(INDEX), `${D('a')} manifests[0]: descriptor is not an object`.replace('descriptor is not an object', 'missing mediaType')],
    ['a manifest with manifests', { ...manifest, manifests: [] }, desc(), `${D('a')}: a manifest must not have manifests`],
    ['a manifest whose config is an image layer', { ...manifest, config: layerDesc }, desc(), `${D('a')}: config has media type ${layerDesc.mediaType}`],
    ['a manifest whose config descriptor is bad', { ...manifest, config: { ...configDesc, size: -1 } }, desc(), `${D('a')} config: invalid size -1`],
    ['a manifest without layers', { ...manifest, layers: undefined }, desc(), `${D('a')}: missing layers`],
    ['a layer of an unknown type', { ...manifest, layers: [{ ...layerDesc, mediaType: 'text/plain' }] }, desc(), `${D('a')} layers[0]: unsupported layer media type text/plain`],
    ['a bad layer descriptor', { ...manifest, layers: [layerDesc, { ...layerDesc, size: -1 }] }, desc(), `${D('a')} layers[1]: invalid size -1`],
    ['a type neither index nor manifest', { ...manifest, mediaType: 'text/plain' }, desc('text/plain'), `${D('a')}: unsupported media type text/plain`],
    ['a JSON array', [manifest], desc(), `${D('a')}: not a JSON object`],
  ])('refuses %s', (_what, v, d, message) => {
    expect(() => parseIndexOrManifest(json(v), d)).toThrow(new ImageError(message));
  });

  it('refuses invalid UTF-8 and documents over MAX_DOCUMENT', () => {
    expect(() => parseIndexOrManifest(new Uint8Array([0x7b, 0xff, 0x7d]), desc())).toThrow(/^sha256:a{64}: not valid JSON \(/);
    // valid JSON once a bad byte inside a string is replaced: refused all the same
    const json8 = json({ ...manifest, annotations: { a: 'X' } });
    json8[json8.indexOf(0x58)] = 0xff;
    expect(() => parseIndexOrManifest(json8, desc())).toThrow(/^sha256:a{64}: not valid JSON \(/);
    const big = new Uint8Array(MAX_DOCUMENT + 1).fill(0x20);
    expect(() => parseIndexOrManifest(big, desc())).toThrow(new ImageError(`${D('a')}: document too large`));
    const atMost = new Uint8Array(MAX_DOCUMENT).fill(0x20);
    atMost.set(json(manifest));
    expect(parseIndexOrManifest(atMost, desc())).toEqual({ manifest });
  });
});

describe('parseIndex', () => {
  it('accepts an index and checks every entry', () => {
    expect(parseIndex(json({ schemaVersion: 2, manifests: [desc()] }), 'index.json').manifests).toHaveLength(1);
    expect(() => parseIndex(json({ schemaVersion: 2, manifests: [desc(), { ...desc(), digest: 'x' }] }), 'index.json')).toThrow(new ImageError('index.json manifests[1]: invalid digest "x"'));
    expect(() => parseIndex(json({ schemaVersion: 3, manifests: [] }), 'index.json')).toThrow(new ImageError('index.json: not an OCI image index'));
    expect(() => parseIndex(json({ schemaVersion: 2, manifests: {} }), 'index.json')).toThrow(new ImageError('index.json: not an OCI image index'));
  });
});

describe('parseConfig', () => {
  const config = { architecture: '386', os: 'linux', rootfs: { type: 'layers', diff_ids: [D('1'), D('2')] } };
  const parse = (v: unknown, layers = 2) => () => parseConfig(json(v), configDesc, layers);
  const refusal = (m: string) => new ImageError(`config ${D('c')}: ${m}`);

  it('says which config is not JSON', () => {
    expect(() => parseConfig(enc.encode('{'), configDesc, 1)).toThrow(/^config sha256:c{64}: not valid JSON \(/);
  });

  it('accepts a config, with or without a run config', () => {
    expect(parse(config)()).toEqual(config);
    const full = { ...config, config: { Env: ['A=1'], Entrypoint: null, Cmd: ['sh'], User: 'nobody', WorkingDir: '/' } };
    expect(parse(full)()).toEqual(full);
    expect(parse({ ...config, config: null })()).toEqual({ ...config, config: null });
  });

  it.each<[string, unknown, string]>([
    ['no rootfs', { ...config, rootfs: undefined }, 'missing rootfs.diff_ids'],
    ['a rootfs of another type', { ...config, rootfs: { type: 'other', diff_ids: [D('1'), D('2')] } }, 'missing rootfs.diff_ids'],
    ['diff_ids that are no list', { ...config, rootfs: { type: 'layers', diff_ids: D('1') } }, 'missing rootfs.diff_ids'],
    ['one diff_id too many', { ...config, rootfs: { type: 'layers', diff_ids: [D('1'), D('2'), D('3')] } }, '3 diff_ids for 2 layers'],
    ['an invalid diff_id', { ...config, rootfs: { type: 'layers', diff_ids: [D('1'), 'sha256:zz'] } }, 'invalid diff_id'],
    ['a diff_id that is no string', { ...config, rootfs: { type: 'layers', diff_ids: [D('1'), 2] } }, 'invalid diff_id'],
    ['no os', { ...config, os: undefined }, 'missing os/architecture'],
    ['no architecture', { ...config, architecture: 386 }, 'missing os/architecture'],
    ['a run config that is a list', { ...config, config: [] }, 'config is not an object'],
    ['an Env of numbers', { ...config, config: { Env: [1] } }, 'Env must be a list of strings'],
    ['a Cmd with one number among strings', { ...config, config: { Cmd: ['sh', 1] } }, 'Cmd must be a list of strings'],
    ['an Entrypoint string', { ...config, config: { Entrypoint: 'sh' } }, 'Entrypoint must be a list of strings'],
    ['a numeric User', { ...config, config: { User: 0 } }, 'User must be a string'],
    ['a WorkingDir list', { ...config, config: { WorkingDir: ['/'] } }, 'WorkingDir must be a string'],
  ])('refuses %s', (_what, v, message) => {
    expect(parse(v)).toThrow(refusal(message));
  });
});

describe('platformMatches and chainIds', () => {
  it('matches os and architecture, and the variant only when one is wanted', () => {
    const want = { os: 'linux', architecture: '386' };
    expect(platformMatches({ os: 'linux', architecture: '386', variant: 'x' }, want)).toBe(true);
    expect(platformMatches({ os: 'windows', architecture: '386' }, want)).toBe(false);
    expect(platformMatches({ os: 'linux', architecture: 'amd64' }, want)).toBe(false);
    expect(platformMatches(undefined, want)).toBe(false);
    expect(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v7' }, { os: 'linux', architecture: 'arm', variant: 'v7' })).toBe(true);
    expect(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' })).toBe(false);
  });

  it('computes chain ids as the OCI image spec defines them', async () => {
    const [a, b, c] = [D('1'), D('2'), D('3')];
    const ab = `sha256:${sha(`${a} ${b}`)}`;
    expect(await chainIds([a, b, c])).toEqual([a, ab, `sha256:${sha(`${ab} ${c}`)}`]);
    expect(await chainIds([])).toEqual([]);
  });
});
