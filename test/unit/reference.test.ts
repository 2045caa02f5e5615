import { describe, expect, it } from 'vitest';
import { canonicalString, familiarNameOf, familiarString, parseReference, InvalidReferenceError } from '../../src/common/oci/reference.js';

const D = 'sha256:' + 'ab'.repeat(32);

describe('image references', () => {
  it.each([
    ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['busybox:latest', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
    ['index.docker.io/library/busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
    ['user/app:v2', 'docker.io/user/app:v2', 'user/app:v2'],
    ['localhost:5000/a/b', 'localhost:5000/a/b:latest', 'localhost:5000/a/b:latest'],
    ['example.com/x_y.z', 'example.com/x_y.z:latest', 'example.com/x_y.z:latest'],
    [`busybox@${D}`, `docker.io/library/busybox@${D}`, `busybox@${D}`],
    [`busybox:1@${D}`, `docker.io/library/busybox:1@${D}`, `busybox:1@${D}`],
  ])('%s', (input, canonical, familiar) => {
    const r = parseReference(input);
    expect(canonicalString(r)).toBe(canonical);
    expect(familiarString(r)).toBe(familiar);
  });

  it.each(['', 'Busybox', 'busybox:', 'busybox@sha256:abc', 'bus..box', '-busybox', 'a//b', 'busybox:-x', ':tag', 'busybox@md5:' + 'a'.repeat(32)])(
    'refuses %j',
    (input) => {
      expect(() => parseReference(input)).toThrow(InvalidReferenceError);
      expect(() => parseReference(input)).toThrow(/^invalid reference format/);
    },
  );

  it('says why an uppercase name is refused, as docker does', () => {
    expect(() => parseReference('library/Busybox')).toThrow('invalid reference format: repository name (library/Busybox) must be lowercase');
  });
});

describe('image references, edge by edge', () => {
  const parsed = (input: string) => parseReference(input);
  const refused = (input: string) => {
    try {
      parseReference(input);
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidReferenceError);
      expect((e as Error).name).toBe('InvalidReferenceError');
      return (e as Error).message;
    }
    throw new Error(`accepted ${input}`);
  };

  it('keeps exactly the parts it was given: a tag, a digest, both, or latest', () => {
    expect(parsed('busybox')).toStrictEqual({ domain: 'docker.io', path: 'library/busybox', tag: 'latest' });
    expect(parsed(`busybox@${D}`)).toStrictEqual({ domain: 'docker.io', path: 'library/busybox', digest: D });
    expect(parsed(`example.com/x:1@${D}`)).toStrictEqual({ domain: 'example.com', path: 'x', tag: '1', digest: D });
  });

  it('takes the first component as a registry when it has a dot, a port, is localhost or has capitals', () => {
    expect(['example.com/x', 'host:5000/x', 'localhost/x', 'Host/x', 'a.b', 'localhost', 'localhostx/y', 'user/app'].map((s) => canonicalString(parsed(s)))).toEqual([
      'example.com/x:latest',
      'host:5000/x:latest',
      'localhost/x:latest',
      'Host/x:latest',
      'docker.io/library/a.b:latest',
      'docker.io/library/localhost:latest',
      'docker.io/localhostx/y:latest',
      'docker.io/user/app:latest',
    ]);
    for (const bad of ['ex_ample.com/x', '_ex.com/x', 'host:port/x', 'host:/x', 'a.b:5000:1/x']) expect(refused(bad)).toBe('invalid reference format');
  });

  it('path components: separators between lowercase alphanumerics only', () => {
    expect(['a.b', 'a_b', 'a__b', 'a---b', 'abc/d0e/f-g', 'ab.cd-ef'].map((s) => parsed(s).path)).toEqual(['library/a.b', 'library/a_b', 'library/a__b', 'library/a---b', 'abc/d0e/f-g', 'library/ab.cd-ef']);
    for (const bad of ['a___b', 'a..b', 'a.-b', 'ab-', '-ab', '_ab', 'a/-b', 'a/b_', 'a/']) expect(refused(bad)).toBe('invalid reference format');
  });

  it('tags: a word character, then up to 127 of word characters, dots and dashes', () => {
    expect(parsed(`x:a${'.-_'.repeat(42)}b`).tag).toHaveLength(128);
    expect(parsed('x:1').tag).toBe('1');
    expect(parsed('x:_').tag).toBe('_');
    for (const bad of [`x:${'a'.repeat(129)}`, 'x:.a', 'x:a b', 'x:a/b']) expect(refused(bad)).toBe('invalid reference format');
  });

  it('digests: sha256 and 64 lowercase hex digits', () => {
    for (const bad of [`x@sha256:${'a'.repeat(63)}`, `x@sha256:${'a'.repeat(65)}`, `x@sha256:${'A'.repeat(64)}`, `x@sha512:${'a'.repeat(64)}`, `x@${D}x`, `x@x${D}`, `@${D}`]) {
      expect(refused(bad)).toBe('invalid reference format');
    }
  });

  it('lengths: 455 characters in all, 255 in the repository name (library/ included)', () => {
    const at455 = `e.c/${'a'.repeat(250)}:${'t'.repeat(128)}@${D}`;
    expect(at455).toHaveLength(455);
    expect(parsed(at455).path).toHaveLength(250);
    expect(refused(`e.c/${'a'.repeat(251)}:${'t'.repeat(128)}@${D}`)).toBe('invalid reference format');
    expect(parsed('a'.repeat(247)).path).toHaveLength(255);
    expect(refused('a'.repeat(248))).toBe('invalid reference format: repository name must not be more than 255 characters');
    expect(refused(`e.c/${'a'.repeat(256)}`)).toBe('invalid reference format: repository name must not be more than 255 characters');
  });

  it('prints familiar names as docker does: library/ dropped only from a one-level official name', () => {
    const f = (s: string) => familiarString(parsed(s));
    expect(['docker.io/library/busybox', 'docker.io/library/a/b', 'docker.io/user/library', 'docker.io/user/library/x', 'example.com/library/x', 'index.docker.io/u/x'].map(f)).toEqual([
      'busybox:latest',
      'library/a/b:latest',
      'user/library:latest',
      'user/library/x:latest',
      'example.com/library/x:latest',
      'u/x:latest',
    ]);
    expect(familiarNameOf('docker.io/library/busybox:1')).toBe('busybox:1');
    expect(familiarNameOf('Not A Name')).toBe('Not A Name');
  });
});
