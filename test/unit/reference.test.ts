import { describe, expect, it } from 'vitest';
import { canonicalString, familiarString, parseReference, InvalidReferenceError } from '../../src/common/oci/reference.js';

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
