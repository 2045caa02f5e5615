import { describe, expect, it } from 'vitest';
import { DEFAULT_PATH, mergeArgs, mergeEnv, parseBytes, parseEnvFile, parseTmpfs, parseVolume } from '../../src/runtime/spec.js';
import { DockerError } from '../../src/runtime/errors.js';

describe('run spec, Docker rules', () => {
  const image = { Entrypoint: ['/docker-entrypoint.sh'], Cmd: ['nginx', '-g', 'daemon off;'] };

  it('merges entrypoint and cmd', () => {
    expect(mergeArgs(image, [])).toEqual(['/docker-entrypoint.sh', 'nginx', '-g', 'daemon off;']);
    expect(mergeArgs(image, ['sh'])).toEqual(['/docker-entrypoint.sh', 'sh']);
    expect(mergeArgs(image, ['-l'], 'ls')).toEqual(['ls', '-l']); // --entrypoint drops the image's Cmd
    expect(mergeArgs(image, [], '')).toEqual([]);
    expect(mergeArgs({ Cmd: ['sh'] }, [])).toEqual(['sh']);
  });

  it('merges env: image first, user wins, PATH/HOSTNAME/TERM as docker adds them', () => {
    const env = mergeEnv(['PATH=/img/bin', 'A=1'], ['A=2', 'B=x=y', 'FROMHOST', 'UNSET'], 'abc', true, { FROMHOST: 'h' });
    expect(env).toEqual(['HOSTNAME=abc', 'PATH=/img/bin', 'A=2', 'B=x=y', 'FROMHOST=h', 'TERM=xterm']);
    expect(mergeEnv([], [], 'h', false)).toEqual(['HOSTNAME=h', `PATH=${DEFAULT_PATH}`]);
    expect(() => mergeEnv([], ['=x'], 'h', false)).toThrow(DockerError);
  });

  it('reads env files', () => {
    expect(parseEnvFile('# c\nA=1\n\n  B=2\nC\n', 'f')).toEqual(['A=1', 'B=2', 'C']);
    expect(() => parseEnvFile('BAD KEY=1', 'f')).toThrow(/contains whitespaces \(f:1\)/);
  });

  it('parses volume, bind and tmpfs mounts', () => {
    expect(parseVolume('data:/var/data')).toEqual({ type: 'volume', source: 'data', target: '/var/data', readonly: false });
    expect(parseVolume('/srv:/srv:ro')).toEqual({ type: 'bind', source: '/srv', target: '/srv', readonly: true });
    expect(parseTmpfs('/run')).toEqual({ type: 'tmpfs', source: 'tmpfs', target: '/run', readonly: false, tmpfs: { noexec: true, nosuid: true, nodev: true, data: [] } });
    expect(() => parseVolume('data:rel')).toThrow(/must be absolute/);
    expect(() => parseVolume('/data')).toThrow(DockerError);
    expect(() => parseVolume('bad name:/x')).toThrow(/invalid characters/);
    expect(() => parseVolume('a:/b:rx')).toThrow('invalid mode: rx');
  });

  it("parses --tmpfs options with Docker's defaults (noexec,nosuid,nodev), later options winning", () => {
    expect(parseTmpfs('/x:ro,size=1k,mode=700')).toEqual({
      type: 'tmpfs',
      source: 'tmpfs',
      target: '/x',
      readonly: true,
      tmpfs: { noexec: true, nosuid: true, nodev: true, data: [['size', '1k'], ['mode', '700']] },
    });
    expect(parseTmpfs('/x:exec,suid,dev,rw,size=1m,size=2m,uid=1000,gid=50,nr_inodes=10k').tmpfs).toEqual({
      noexec: false,
      nosuid: false,
      nodev: false,
      data: [['size', '2m'], ['uid', '1000'], ['gid', '50'], ['nr_inodes', '10k']],
    });
    expect(parseTmpfs('/x:exec,noexec').tmpfs!.noexec).toBe(true);
    expect(() => parseTmpfs('/x:foo')).toThrow('invalid tmpfs option ["foo"]');
    expect(() => parseTmpfs('/x:foo=1')).toThrow('invalid tmpfs option ["foo" "1"]');
    expect(() => parseTmpfs('/x:size=lots')).toThrow('invalid tmpfs option: size=lots: invalid value');
    expect(() => parseTmpfs('/x:mode=1,size=1k')).not.toThrow();
    expect(() => parseTmpfs('/x:mode=9')).toThrow(/invalid value/);
    expect(() => parseTmpfs('/x:size=1k,mode=0777,x')).toThrow(DockerError);
    expect(() => parseTmpfs('x:ro')).toThrow(/must be absolute/);
  });

  it('parses memory sizes', () => {
    expect(parseBytes('64m')).toBe(64 * 1024 * 1024);
    expect(parseBytes('1g')).toBe(1024 ** 3);
    expect(parseBytes('8388608')).toBe(8388608);
    expect(() => parseBytes('12q')).toThrow(/invalid size/);
    expect(() => parseBytes('1m')).toThrow('Minimum memory limit allowed is 6MB');
  });
});
