// Builds the catalog (src/common/catalog.ts: debian:bookworm-slim, then
// python:3.11-slim, nginx, redis and postgres:15 as one layer each on it)
// from Debian 12 i386 packages, and caches it:
//
//   npm run catalog            (as root; prints a JSON summary)
//   import { catalog } from '../../images/tools/catalog.js'
//
// The host cannot execute i386 code, so a package's maintainer scripts run
// in Dockyard's own guest:
//   1. mmdebstrap resolves and downloads the recipe's packages
//      (images/recipes/<name>/packages; the build fails if apt resolves
//      another set);
//   2. the host's dpkg unpacks them (`dpkg --root --unpack`) into a fresh
//      merged-/usr tree, each .deb with its preinst taken out of the control
//      archive (dpkg would have to execute it) and put back in
//      /var/lib/dpkg/info: the dpkg database then says `unpacked`, conffiles
//      wait as .dpkg-new, as after a real unpack;
//   3. the tree is loaded into a headless Dockyard (src/node startDockyard)
//      as an image, and a container runs the preinsts (`install`) and
//      `dpkg --configure -a` (DEBIAN_FRONTEND=noninteractive, a policy-rc.d
//      that refuses to start services); its writable layer (container.diff,
//      as `docker commit` takes it) comes back to the host and is applied to
//      the tree there;
//   4. the tree is made slim as Docker Hub's -slim images are (docs, man
//      pages, locales dropped; /etc/dpkg/dpkg.cfg.d/docker keeps apt from
//      bringing them back), python's bytecode is compiled by the host's
//      python3.11 (unchecked-hash: no source mtimes in it), and what carries
//      the time of the build is dropped or fixed: logs, *-old backups,
//      ld.so's aux-cache, /etc/shadow's day of last change;
//   5. one layer per image (GNU tar, sorted, every mtime SOURCE_DATE_EPOCH,
//      gzip -n): debian's is the whole tree, each other's the files that
//      differ from it (whiteouts for any that went), so they all sit on
//      debian's very layer blob.
// The other images' packages go over debian's configured tree with their
// recipe's rootfs/ before the guest configures them, and the recipe's
// finish.sh (host sh, paths relative to the tree) lays the result out; two
// guests take them side by side (DOCKYARD_CATALOG_GUESTS).
// Same packages, same builder → same bytes: SOURCE_DATE_EPOCH is the newest
// changelog date of the packages (or the environment's).
//
// Cached in ~/.cache/dockyard/catalog/<key>/ ($XDG_CACHE_HOME, or
// $DOCKYARD_CACHE/catalog; outside node_modules, which `npm ci` empties),
// holding registry/<repo>/ (OCI layouts) and catalog.json (sha256 of each
// index.json); the key a hash of the recipes, this builder, oci-layout.ts
// and the candidate version of every package (`apt-cache policy`). The CLI
// (src/node/cli.ts) and `npm run build` use the build the file `current`
// there names (the last one made or found).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CATALOG, CATALOG_MANIFEST, CATALOG_REGISTRY_DIR, type CatalogImage, type CatalogManifest } from '../../src/common/catalog.js';
import { catalogCache } from '../../src/node/catalog.js';
import { buildLayout, byteOrder, json, reproducibleTar, rfc3339, runTool, sha256, writeLayout, type LayerInput, type RunConfig } from './oci-layout.js';

const HERE = fileURLToPath(import.meta.url);
const REPO = resolve(dirname(HERE), '..', '..');
const SUITE = 'bookworm';
const CACHE = catalogCache();

type Log = (s: string) => void;
const sha256hex = (s: string | Uint8Array): string => createHash('sha256').update(s).digest('hex');

function mirror(): string {
  return (process.env.DOCKYARD_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian').replace(/\/+$/, '');
}

export function recipePackages(name: string): string[] {
  return readFileSync(join(REPO, 'images', 'recipes', name, 'packages'), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '');
}

export function recipeConfig(name: string): RunConfig {
  return JSON.parse(readFileSync(join(REPO, 'images', 'recipes', name, 'config.json'), 'utf8')) as RunConfig;
}

/** Every package an image is made of: its parent's and its own. */
function allPackages(img: CatalogImage): string[] {
  const parent = img.parent !== undefined ? CATALOG.find((c) => c.name === img.parent) : undefined;
  return [...(parent ? allPackages(parent) : []), ...recipePackages(img.name)];
}

// --- the cache key ------------------------------------------------------------------

/** `apt-cache policy` candidates for i386 (Architecture: all packages have none as pkg:i386). */
function candidateVersions(names: string[]): Record<string, string> {
  const policy = (q: string[]): Map<string, string> => {
    const r = spawnSync('apt-cache', ['policy', ...q], { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, LC_ALL: 'C' } });
    if (r.error) throw new Error(`apt-cache: ${r.error.message}`);
    const out = new Map<string, string>();
    let pkg: string | undefined;
    for (const line of r.stdout.split('\n')) {
      const head = /^(\S+):$/.exec(line);
      if (head?.[1] !== undefined) pkg = head[1];
      const cand = /^ {2}Candidate: (\S+)/.exec(line);
      if (cand?.[1] !== undefined && pkg !== undefined) out.set(pkg, cand[1] === '(none)' ? '' : cand[1]);
    }
    return out;
  };
  const i386 = policy(names.map((p) => `${p}:i386`));
  const missing = names.filter((p) => !i386.get(`${p}:i386`));
  const native = missing.length > 0 ? policy(missing) : new Map<string, string>();
  return Object.fromEntries(names.map((p) => [p, i386.get(`${p}:i386`) || native.get(p) || '']));
}

// (not the guest's artifacts: dpkg configures the same packages the same way under any
// working guest, and a guest rebuild must not cost a catalog rebuild)
const SOURCES = [HERE, join(REPO, 'images', 'tools', 'oci-layout.ts')];

function sourcesHash(): string {
  const h = createHash('sha256');
  for (const f of SOURCES) h.update(readFileSync(f));
  h.update(JSON.stringify(CATALOG.map((c) => [c.name, c.repo, c.tags, c.parent ?? ''])));
  for (const img of CATALOG) {
    // every file of the recipe (packages, config.json, finish.sh, rootfs/…): name, mode, bytes
    const dir = join(REPO, 'images', 'recipes', img.name);
    const walk = (rel: string) => {
      for (const e of readdirSync(join(dir, rel)).sort(byteOrder)) {
        const p = rel ? `${rel}/${e}` : e;
        const st = lstatSync(join(dir, p));
        // (as git keeps modes: executable or not)
        h.update(`${img.name}/${p}\0${st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : st.mode & 0o111 ? 'x' : 'f'}\0`);
        if (st.isDirectory()) walk(p);
        else if (st.isSymbolicLink()) h.update(readlinkSync(join(dir, p)));
        else h.update(readFileSync(join(dir, p)));
      }
    };
    walk('');
  }
  return h.digest('hex');
}

export function catalogKey(): string {
  const names = [...new Set(CATALOG.flatMap(allPackages))].sort();
  return sha256hex(JSON.stringify({ sources: sourcesHash(), mirror: mirror(), versions: candidateVersions(names), python: hostPython() ?? 'none', env: process.env.SOURCE_DATE_EPOCH ?? '' })).slice(0, 32);
}

// --- packages -----------------------------------------------------------------------

interface Deb {
  name: string;
  version: string;
  file: string;
}

/** Resolves and downloads PACKAGES with mmdebstrap (extract into a throwaway tree); the .debs end in DEBS. */
function download(packages: string[], debs: string, work: string, log: Log): Map<string, Deb> {
  const scratch = mkdtempSync(join(work, 'mmdebstrap-'));
  mkdirSync(debs, { recursive: true });
  const r = spawnSync(
    'mmdebstrap',
    [
      '--variant=extract',
      '--architectures=i386',
      '--mode=root',
      '--format=directory',
      `--include=${packages.join(',')}`,
      '--setup-hook=/usr/share/mmdebstrap/hooks/merged-usr/setup00.sh',
      '--extract-hook=cp "$1"/var/cache/apt/archives/*.deb "$DOCKYARD_DEBS"/',
      SUITE,
      scratch,
      `deb ${mirror()} ${SUITE} main`,
      `deb ${mirror()} ${SUITE}-updates main`,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, LC_ALL: 'C', DOCKYARD_DEBS: debs } },
  );
  rmSync(scratch, { recursive: true, force: true });
  if (r.error) throw new Error(`mmdebstrap: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`mmdebstrap exited ${r.status ?? r.signal}:\n${r.stderr.trim().split('\n').slice(-15).join('\n')}`);
  const got = new Map<string, Deb>();
  for (const f of readdirSync(debs)) {
    const m = /^([^_]+)_([^_]+)_([^_]+)\.deb$/.exec(f);
    if (m?.[1] !== undefined && m[2] !== undefined) got.set(m[1], { name: m[1], version: decodeURIComponent(m[2]), file: join(debs, f) });
  }
  const want = new Set(packages);
  const extra = [...got.keys()].filter((p) => !want.has(p));
  const lacking = packages.filter((p) => !got.has(p));
  if (extra.length > 0 || lacking.length > 0) {
    throw new Error(
      `apt resolved another package set than the recipes list (update images/recipes/*/packages):` +
        `${extra.length ? ` also ${extra.join(' ')};` : ''}${lacking.length ? ` not ${lacking.join(' ')}` : ''}`,
    );
  }
  log(`catalog: ${got.size} packages downloaded`);
  return got;
}

/** DEB without its preinst (put in OUT); returns the preinst, if it had one. */
function withoutPreinst(deb: string, out: string, work: string): Buffer | undefined {
  const t = mkdtempSync(join(work, 'deb-'));
  try {
    runTool('ar', ['x', '--output', t, deb]);
    const members = readdirSync(t);
    const ctl = members.find((m) => m.startsWith('control.tar'));
    const data = members.find((m) => m.startsWith('data.tar'));
    if (ctl === undefined || data === undefined) throw new Error(`${deb}: no control or data archive`);
    const c = join(t, 'control');
    mkdirSync(c);
    runTool('tar', ['-C', c, '-xf', join(t, ctl)]);
    const pre = join(c, 'preinst');
    const preinst = existsSync(pre) ? readFileSync(pre) : undefined;
    if (preinst === undefined) {
      copyFileSync(deb, out);
      return undefined;
    }
    rmSync(pre);
    runTool('tar', ['-C', c, '--owner=0', '--group=0', '-czf', join(t, 'control.tar.gz'), '.']);
    runTool('ar', ['rc', out, join(t, 'debian-binary'), join(t, 'control.tar.gz'), join(t, data)]);
    return preinst;
  } finally {
    rmSync(t, { recursive: true, force: true });
  }
}

/** A fresh tree: merged /usr as Debian 12 i386 has it, and an empty dpkg database. */
function skeleton(root: string): void {
  mkdirSync(join(root, 'usr'), { recursive: true });
  for (const d of ['bin', 'sbin', 'lib']) {
    mkdirSync(join(root, 'usr', d));
    symlinkSync(`usr/${d}`, join(root, d));
  }
  const dpkg = join(root, 'var', 'lib', 'dpkg');
  for (const d of ['info', 'updates', 'triggers', 'alternatives', 'parts']) mkdirSync(join(dpkg, d), { recursive: true });
  for (const f of ['status', 'available']) writeFileSync(join(dpkg, f), '');
  writeFileSync(join(dpkg, 'arch'), 'i386\n');
  mkdirSync(join(root, 'etc', 'apt', 'sources.list.d'), { recursive: true });
  // as Docker Hub's debian image has it
  writeFileSync(
    join(root, 'etc', 'apt', 'sources.list.d', 'debian.sources'),
    `Types: deb\nURIs: http://deb.debian.org/debian\nSuites: ${SUITE} ${SUITE}-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n` +
      `Types: deb\nURIs: http://deb.debian.org/debian-security\nSuites: ${SUITE}-security\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`,
  );
}

/**
 * The host's dpkg unpacks DEBS into ROOT (no maintainer script can run: the
 * preinsts are taken out and kept in the database for the guest). Returns
 * the names of the packages that have a preinst.
 */
function hostUnpack(root: string, debs: Deb[], work: string, log: Log): string[] {
  const dir = mkdtempSync(join(work, 'stripped-'));
  const preinsts: Array<[string, Buffer]> = [];
  const files: string[] = [];
  for (const d of [...debs].sort((a, b) => byteOrder(a.name, b.name))) {
    const out = join(dir, `${d.name}.deb`);
    const pre = withoutPreinst(d.file, out, work);
    if (pre !== undefined) preinsts.push([d.name, pre]);
    files.push(out);
  }
  const r = spawnSync(
    'dpkg',
    [`--root=${root}`, '--log=/dev/null', '--force-architecture', '--force-depends', '--force-unsafe-io', '--no-triggers', '--unpack', ...files],
    { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, LC_ALL: 'C', DEBIAN_FRONTEND: 'noninteractive' } },
  );
  rmSync(dir, { recursive: true, force: true });
  if (r.error) throw new Error(`dpkg: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`dpkg --unpack exited ${r.status ?? r.signal}:\n${(r.stderr + r.stdout).trim().split('\n').slice(-15).join('\n')}`);
  const info = join(root, 'var', 'lib', 'dpkg', 'info');
  const names = new Set(readdirSync(info).map((f) => f.replace(/\.[^.]+$/, '')));
  const withPre: string[] = [];
  for (const [name, pre] of preinsts) {
    // a Multi-Arch: same package's files are named pkg:arch
    const base = names.has(`${name}:i386`) ? `${name}:i386` : name;
    writeFileSync(join(info, `${base}.preinst`), pre);
    chmodSync(join(info, `${base}.preinst`), 0o755);
    withPre.push(base);
  }
  log(`catalog: host dpkg unpacked ${debs.length} packages (${withPre.length} preinsts left for the guest)`);
  return withPre;
}

/**
 * The recipe's rootfs/ (entrypoints, config the packages do not ship) into
 * ROOT before the guest configures it: root's, modes as git keeps them
 * (0755 executable, else 0644), so a checkout's umask changes nothing.
 */
export function copyRecipeRootfs(name: string, root: string): void {
  const src = join(REPO, 'images', 'recipes', name, 'rootfs');
  if (!existsSync(src)) return;
  const walk = (rel: string) => {
    for (const e of readdirSync(join(src, rel)).sort(byteOrder)) {
      const p = rel ? `${rel}/${e}` : e;
      const st = lstatSync(join(src, p));
      const to = join(root, p);
      if (st.isDirectory()) {
        mkdirSync(to, { recursive: true, mode: 0o755 });
        walk(p);
      } else if (st.isFile()) {
        if (lstatSync(dirname(to)).isSymbolicLink()) throw new Error(`images/recipes/${name}/rootfs/${p}: its folder is a link in the image`);
        rmSync(to, { force: true });
        copyFileSync(join(src, p), to);
        chmodSync(to, st.mode & 0o111 ? 0o755 : 0o644);
      } else throw new Error(`images/recipes/${name}/rootfs/${p}: only folders and files`);
    }
  };
  walk('');
}

/** The recipe's finish.sh, run by the host's sh in the finished tree (it names paths relative to it). */
function runRecipeFinish(name: string, root: string): void {
  const script = join(REPO, 'images', 'recipes', name, 'finish.sh');
  if (!existsSync(script)) return;
  const r = spawnSync('sh', [script], { cwd: root, encoding: 'utf8', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LC_ALL: 'C' } });
  if (r.error) throw new Error(`${script}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${script} exited ${r.status ?? r.signal}:\n${(r.stderr + r.stdout).trim()}`);
}

// --- the guest ------------------------------------------------------------------------

/** What the container runs: the preinsts, then dpkg --configure -a, as a minbase debootstrap would. */
function configureScript(preinsts: string[]): string {
  return [
    'set -e',
    'export DEBIAN_FRONTEND=noninteractive DEBCONF_NONINTERACTIVE_SEEN=true LC_ALL=C.UTF-8',
    // no service may start while the image is made
    "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d",
    'chmod 755 /usr/sbin/policy-rc.d',
    // no snakeoil key and certificate (ssl-cert): a new random key would make every build differ
    'if [ -x /usr/sbin/make-ssl-cert ]; then mv /usr/sbin/make-ssl-cert /usr/sbin/make-ssl-cert.dockyard; printf \'#!/bin/sh\\nexit 0\\n\' > /usr/sbin/make-ssl-cert; chmod 755 /usr/sbin/make-ssl-cert; fi',
    // as dpkg runs a preinst (dpkg-maintscript-helper reads these)
    'export DPKG_ADMINDIR=/var/lib/dpkg DPKG_ROOT= DPKG_MAINTSCRIPT_NAME=preinst DPKG_MAINTSCRIPT_PACKAGE_REFCOUNT=1',
    'export DPKG_RUNNING_VERSION=$(dpkg-query -W -f=\'${Version}\' dpkg)',
    `for p in ${preinsts.join(' ')}; do`,
    '  DPKG_MAINTSCRIPT_PACKAGE=${p%:*} DPKG_MAINTSCRIPT_ARCH=$(dpkg-query -W -f=\'${Architecture}\' $p) /var/lib/dpkg/info/$p.preinst install',
    'done',
    'unset DPKG_ADMINDIR DPKG_ROOT DPKG_MAINTSCRIPT_NAME DPKG_MAINTSCRIPT_PACKAGE_REFCOUNT DPKG_RUNNING_VERSION',
    'dpkg --configure -a',
    'rm -f /usr/sbin/policy-rc.d',
    'if [ -e /usr/sbin/make-ssl-cert.dockyard ]; then mv /usr/sbin/make-ssl-cert.dockyard /usr/sbin/make-ssl-cert; fi',
    // nothing may be left half-configured
    "dpkg-query -W -f='${db:Status-Abbrev} ${Package}\\n' | awk '$1 != \"ii\" { print \"not configured: \" $0; bad = 1 } END { exit bad }'",
  ].join('\n');
}

export interface Guest {
  /** loads a docker-save archive (OCI layout tar); returns its name */
  load(archive: Uint8Array): Promise<void>;
  /** runs sh -c SCRIPT in IMAGE; returns the container's writable layer (OCI layer tar) */
  runAndDiff(image: string, script: string, log: Log): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** A headless Dockyard with a store of its own (the user's images stay untouched). */
export async function startGuest(home: string): Promise<Guest> {
  const { buildNode } = (await import('../../bin/build-node.mjs')) as { buildNode: (root: string) => Promise<{ worker: string }> };
  const { startDockyard } = await import('../../src/node/cli.js');
  const { worker } = await buildNode(REPO);
  const d = await startDockyard(REPO, worker, { home });
  return {
    async load(archive) {
      await d.images.load(archive);
    },
    async runAndDiff(image, script, log) {
      const dec = new TextDecoder();
      let out = '';
      const o = {
        stdout: (b: Uint8Array) => {
          out += dec.decode(b, { stream: true });
        },
        stderr: (b: Uint8Array) => {
          out += dec.decode(b, { stream: true });
        },
      };
      const t0 = Date.now();
      const { id, proc } = await d.containers.run({ image, cmd: ['sh', '-c', script] }, o);
      const st = await proc.exit;
      log(`catalog: guest ran the maintainer scripts in ${((Date.now() - t0) / 1000).toFixed(1)} s (exit ${st.exitCode})`);
      if (st.exitCode !== 0) throw new Error(`configuring in the guest failed (exit ${st.exitCode}):\n${out.trim().split('\n').slice(-25).join('\n')}`);
      const { tar } = await d.containers.layer(id);
      await d.containers.remove(id, true);
      return tar;
    },
    close: () => d.close(),
  };
}

/** A docker-load archive of one image whose single layer is ROOT (owners kept, gzip -1: it only crosses to the store). */
function loadArchive(root: string, name: string, epoch: number, work: string): Buffer {
  const tar = reproducibleTar(root, epoch, { owners: 'keep' });
  return layoutArchive([{ tar, gzip: runTool('gzip', ['-1', '-n', '-c'], tar) }], name, work);
}

function layoutArchive(layers: LayerInput[], name: string, work: string): Buffer {
  const [repo, tag] = name.split(':') as [string, string];
  const layout = buildLayout({ name: repo, tag, created: rfc3339(0), run: {}, layers });
  const stage = mkdtempSync(join(work, 'layout-'));
  try {
    writeLayout(stage, layout);
    return runTool('tar', ['-C', stage, '-cf', '-', 'oci-layout', 'index.json', 'blobs']);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/** Applies an OCI layer tar (whiteouts, opaque dirs) to ROOT, as the overlay had it. */
function applyLayer(root: string, tar: Uint8Array, work: string): void {
  const list = runTool('tar', ['-t', '--null', '-f', '-'], Buffer.from(tar)).toString('utf8');
  // GNU tar -t ends names with \n unless --null is honoured for output: split on both
  const names = list.split(/[\0\n]/).filter((n) => n !== '');
  for (const n of names) {
    const base = n.slice(n.lastIndexOf('/') + 1);
    const dir = n.slice(0, n.lastIndexOf('/') + 1);
    if (base === '.wh..wh..opq') {
      const d = join(root, dir);
      for (const e of readdirSync(d)) rmSync(join(d, e), { recursive: true, force: true });
    } else if (base.startsWith('.wh.')) {
      rmSync(join(root, dir, base.slice(4)), { recursive: true, force: true });
    }
  }
  const f = join(work, 'diff.tar');
  writeFileSync(f, tar);
  runTool('tar', ['-C', root, '-xpf', f, '--numeric-owner', '--exclude=.wh.*', '--overwrite']);
  rmSync(f);
}

// --- the tree ---------------------------------------------------------------------------

/** Paths debuerreotype's slimify drops (Docker Hub's -slim images), as dpkg path-exclude/include. */
const SLIM_EXCLUDE = ['/usr/share/doc/*', '/usr/share/info/*', '/usr/share/linda/*', '/usr/share/lintian/overrides/*', '/usr/share/locale/*', '/usr/share/man/*', '/usr/share/groff/*'];
const SLIM_INCLUDE = ['/usr/share/doc/*/copyright'];

function slimify(root: string): void {
  mkdirSync(join(root, 'etc', 'dpkg', 'dpkg.cfg.d'), { recursive: true });
  writeFileSync(
    join(root, 'etc', 'dpkg', 'dpkg.cfg.d', 'docker'),
    `# as Docker Hub's -slim images: no docs, man pages or translations\n${SLIM_EXCLUDE.map((p) => `path-exclude ${p}\n`).join('')}${SLIM_INCLUDE.map((p) => `path-include ${p}\n`).join('')}`,
  );
  for (const pat of SLIM_EXCLUDE) {
    const dir = join(root, pat.slice(1, -2));
    if (!existsSync(dir)) continue;
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (pat === '/usr/share/doc/*' && lstatSync(p).isDirectory()) {
        // keep DIR/copyright, drop the rest
        for (const f of readdirSync(p)) if (f !== 'copyright') rmSync(join(p, f), { recursive: true, force: true });
      } else rmSync(p, { recursive: true, force: true });
    }
  }
}

export function hostPython(): string | undefined {
  const r = spawnSync('python3.11', ['-c', 'import sys; print(sys.version.split()[0])'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The standard library's bytecode, unchecked-hash (no source mtime in it), as the test fixture makes it. */
function compilePython(root: string, epoch: number, log: Log): void {
  if (!hostPython()) {
    log('catalog: no python3.11 on the host: python gets no precompiled bytecode (it starts slower)');
    return;
  }
  for (const lib of ['usr/lib/python3.11', 'usr/lib/python3/dist-packages']) {
    if (!existsSync(join(root, lib))) continue;
    spawnSync('python3.11', ['-m', 'compileall', '-f', '-q', '-j', '0', '--invalidation-mode', 'unchecked-hash', '-d', `/${lib}`, join(root, lib)], {
      env: { ...process.env, PYTHONHASHSEED: '0', SOURCE_DATE_EPOCH: String(epoch) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
}

/** What carries the time or host of the build: dropped, or set to the epoch. */
function normalize(root: string, epoch: number): void {
  const rm = (rel: string) => rmSync(join(root, rel), { recursive: true, force: true });
  for (const f of ['etc/hostname', 'etc/resolv.conf', 'etc/hosts', 'var/cache/ldconfig/aux-cache', 'var/log/dpkg.log', 'var/log/alternatives.log', 'var/log/bootstrap.log']) rm(f);
  for (const d of ['var/log/apt', 'var/cache/apt/archives/partial']) if (existsSync(join(root, d))) for (const e of readdirSync(join(root, d))) rm(`${d}/${e}`);
  for (const d of ['var/cache/debconf', 'var/lib/dpkg']) for (const e of readdirSync(join(root, d))) if (e.endsWith('-old')) rm(`${d}/${e}`);
  for (const e of readdirSync(join(root, 'etc'))) if (/^(passwd|group|shadow|gshadow)-$/.test(e)) rm(`etc/${e}`);
  for (const d of ['dev', 'tmp', 'run', 'proc', 'sys']) if (existsSync(join(root, d))) for (const e of readdirSync(join(root, d))) rm(`${d}/${e}`);
  // day of the last password change: the epoch's day, not the build's
  const day = String(Math.floor(epoch / 86400));
  for (const f of ['etc/shadow']) {
    const p = join(root, f);
    if (!existsSync(p)) continue;
    const st = lstatSync(p);
    const lines = readFileSync(p, 'utf8').split('\n').map((l) => {
      const fields = l.split(':');
      if (fields.length >= 3 && fields[2] !== '') fields[2] = day;
      return fields.join(':');
    });
    writeFileSync(p, lines.join('\n'));
    chmodSync(p, st.mode & 0o7777);
  }
  for (const d of ['tmp']) if (existsSync(join(root, d))) chmodSync(join(root, d), 0o1777);
}

/** A configured tree made slim and free of what the build's time and host left in it. */
export function finishTree(root: string, epoch: number): void {
  slimify(root);
  normalize(root, epoch);
}

/** SOURCE_DATE_EPOCH: the environment's, else the newest package's changelog date (as Debian's tools take it). */
function epochOf(root: string): number {
  const env = process.env.SOURCE_DATE_EPOCH;
  if (env !== undefined && env !== '') {
    if (!/^[0-9]+$/.test(env)) throw new Error(`SOURCE_DATE_EPOCH must be seconds since the epoch, not ${env}`);
    return Number(env);
  }
  // dpkg stamps the files it unpacks with the times in the .deb, which the
  // packages' builds clamp to their changelog's date: the newest is the newest package
  let newest = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && st.mtimeMs / 1000 > newest) newest = Math.floor(st.mtimeMs / 1000);
    }
  };
  walk(join(root, 'usr', 'share', 'doc'));
  if (newest === 0) throw new Error('no package files to date the build by');
  return newest;
}

const typeOf = (s: Stats) => s.mode & 0o170000;

/** Path order of GNU tar --sort=name: component by component, each in byte order. */
function pathOrder(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = byteOrder(x[i] ?? '', y[i] ?? '');
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

/**
 * UPPER's layer over LOWER, in STAGE: what is new or differs (with its parent
 * directories), and a whiteout for what LOWER has and UPPER does not.
 * Returns the names for reproducibleTar.
 */
export function diffLayer(lower: string, upper: string, stage: string): string[] {
  const names = new Set<string>();
  const addWithParents = (rel: string) => {
    const parts = rel.split('/');
    for (let i = 1; i <= parts.length; i++) names.add(parts.slice(0, i).join('/'));
  };
  const lstat = (p: string): Stats | undefined => {
    try {
      return lstatSync(p);
    } catch {
      return undefined;
    }
  };
  const walk = (rel: string) => {
    for (const name of readdirSync(join(upper, rel))) {
      const p = rel ? `${rel}/${name}` : name;
      const u = lstatSync(join(upper, p));
      const l = lstat(join(lower, p));
      let same = l !== undefined && typeOf(l) === typeOf(u) && l.mode === u.mode && l.uid === u.uid && l.gid === u.gid;
      if (same && l !== undefined) {
        if (u.isFile()) same = l.size === u.size && readFileSync(join(lower, p)).equals(readFileSync(join(upper, p)));
        else if (u.isSymbolicLink()) same = readlinkSync(join(lower, p)) === readlinkSync(join(upper, p));
        else if (u.isCharacterDevice() || u.isBlockDevice()) same = l.rdev === u.rdev;
      }
      if (!same) addWithParents(p);
      if (u.isDirectory()) walk(p);
    }
  };
  walk('');
  // the upper tree's files, owners and hard links kept, copied into STAGE (tar, as cp would lose owners)
  const list = Buffer.from([...names].sort(pathOrder).map((n) => `${n}\0`).join(''));
  const copied = runTool('tar', ['-C', upper, '--numeric-owner', '--no-recursion', '--null', '--verbatim-files-from', '-T', '-', '-cf', '-'], list);
  runTool('tar', ['-C', stage, '--numeric-owner', '-xpf', '-'], copied);
  const gone = (rel: string) => {
    for (const name of readdirSync(join(lower, rel))) {
      const p = rel ? `${rel}/${name}` : name;
      const l = lstatSync(join(lower, p));
      const u = lstat(join(upper, p));
      if (u === undefined) {
        addWithParents(rel);
        const wh = rel ? `${rel}/.wh.${name}` : `.wh.${name}`;
        mkdirSync(join(stage, rel), { recursive: true });
        writeFileSync(join(stage, wh), '');
        names.add(wh);
      } else if (l.isDirectory() && u.isDirectory()) gone(p);
    }
  };
  gone('');
  return [...names].filter((n) => n !== '').sort(pathOrder);
}

// --- the catalog ----------------------------------------------------------------------------

export interface BuiltImage {
  repo: string;
  tags: string[];
  digest: string;
  /** per layer */
  layers: Array<{ digest: string; raw: number; gzip: number }>;
  compressed: number;
  unpacked: number;
  debian: Record<string, string>;
}

export interface Catalog {
  dir: string;
  key: string;
  epoch: number;
  images: BuiltImage[];
}

/** The registry layout of IMG in OUT: index.json names the image once per tag. */
function writeImage(out: string, img: CatalogImage, epoch: number, layers: LayerInput[]): { index: Buffer; digest: string } {
  const [tag, ...more] = img.tags as [string, ...string[]];
  const layout = buildLayout({ name: img.repo, tag, created: rfc3339(epoch), run: recipeConfig(img.name), layers });
  const top = (JSON.parse(layout.index.toString('utf8')) as { manifests: Array<Record<string, unknown>> }).manifests[0]!;
  const index = json({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [tag, ...more].map((t) => ({ ...top, annotations: { 'io.containerd.image.name': `${img.repo}:${t}`, 'org.opencontainers.image.ref.name': t } })),
  });
  writeLayout(out, { ...layout, index });
  return { index, digest: layout.manifest.digest };
}

/** How many guests configure the images on debian's layer side by side. */
function guestCount(): number {
  const env = process.env.DOCKYARD_CATALOG_GUESTS;
  if (env !== undefined && env !== '') {
    if (!/^[1-9][0-9]*$/.test(env)) throw new Error(`DOCKYARD_CATALOG_GUESTS must be a number of guests, not ${env}`);
    return Number(env);
  }
  return Math.min(2, availableParallelism());
}

async function build(dir: string, key: string, log: Log): Promise<Catalog> {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) throw new Error('catalog: building needs root (mmdebstrap and dpkg --root)');
  const t0 = Date.now();
  const work = mkdtempSync(join(CACHE, '.work-'));
  const guest = await startGuest(join(work, 'store'));
  const guests = [guest];
  try {
    const debian = CATALOG.find((c) => c.name === 'debian')!;
    const all = download([...new Set(CATALOG.flatMap(allPackages))], join(work, 'debs'), work, log);
    const pick = (names: string[]) => names.map((n) => all.get(n)!);
    const versions = (names: string[]) => Object.fromEntries(names.map((n) => [n, all.get(n)!.version]));

    // debian
    const base = join(work, 'debian');
    skeleton(base);
    const basePre = hostUnpack(base, pick(recipePackages('debian')), work, log);
    const epoch = epochOf(base);
    await guest.load(loadArchive(base, 'dockyard-catalog/debian-unpacked:build', epoch, work));
    applyLayer(base, await guest.runAndDiff('dockyard-catalog/debian-unpacked:build', configureScript(basePre), log), work);
    finishTree(base, epoch);
    const baseTar = reproducibleTar(base, epoch, { owners: 'keep' });
    const baseLayer: LayerInput = {
      tar: baseTar,
      gzip: runTool('gzip', ['-n', '-9', '-c'], baseTar),
      createdBy: `Debian ${SUITE} i386 minbase (${recipePackages('debian').length} packages): unpacked by dpkg on the host, configured by dpkg in Dockyard's guest`,
    };

    // each other image: its packages unpacked over the configured debian tree
    // (with its recipe's rootfs/), configured in a guest, finished on the host.
    // They are independent: two guests take them from one queue (the emulated
    // CPU is the cost; the biggest first), as many as DOCKYARD_CATALOG_GUESTS
    // says (default: 2 if the host has 2 cores). The bytes do not depend on it.
    const childLayers = new Map<string, LayerInput>();
    const makeChild = async (img: CatalogImage, g: Guest) => {
      const t1 = Date.now();
      const tree = join(work, img.name);
      runTool('cp', ['-a', base, tree]);
      const pre = hostUnpack(tree, pick(recipePackages(img.name)), work, log);
      copyRecipeRootfs(img.name, tree);
      const unpacked = join(work, `${img.name}-unpacked`);
      mkdirSync(unpacked);
      const names = diffLayer(base, tree, unpacked);
      const tar0 = reproducibleTar(unpacked, epoch, { owners: 'keep', names });
      rmSync(unpacked, { recursive: true, force: true });
      const buildName = `dockyard-catalog/${img.name}-unpacked:build`;
      await g.load(layered(baseLayer, tar0, buildName, work));
      applyLayer(tree, await g.runAndDiff(buildName, configureScript(pre), (m) => log(m.replace(/^catalog: /, `catalog: ${img.name}: `))), work);
      if (img.name === 'python') compilePython(tree, epoch, log);
      finishTree(tree, epoch);
      runRecipeFinish(img.name, tree);
      const stage = join(work, `${img.name}-layer`);
      mkdirSync(stage);
      const layerNames = diffLayer(base, tree, stage);
      const tar = reproducibleTar(stage, epoch, { owners: 'keep', names: layerNames });
      rmSync(stage, { recursive: true, force: true });
      rmSync(tree, { recursive: true, force: true });
      childLayers.set(img.name, {
        tar,
        gzip: runTool('gzip', ['-n', '-9', '-c'], tar),
        createdBy:
          img.name === 'python'
            ? `Debian ${SUITE} i386 ${recipePackages('python').join(' ')}: unpacked on the host, configured in the guest, bytecode by the host's python3.11`
            : `Debian ${SUITE} i386 ${recipePackages(img.name).join(' ')}: unpacked on the host, configured in the guest; images/recipes/${img.name}/`,
      });
      log(`catalog: ${img.name} made in ${((Date.now() - t1) / 1000).toFixed(0)} s`);
    };
    const queue = CATALOG.filter((c) => c.parent === debian.name).sort((a, b) => recipePackages(b.name).length - recipePackages(a.name).length);
    while (guests.length < Math.min(queue.length, guestCount())) guests.push(await startGuest(join(work, `store-${guests.length}`)));
    await Promise.all(
      guests.map(async (g) => {
        for (let img = queue.shift(); img !== undefined; img = queue.shift()) await makeChild(img, g);
      }),
    );

    const reg = join(dir, CATALOG_REGISTRY_DIR);
    const images: BuiltImage[] = [];
    const manifest: CatalogManifest = { schema: 1, images: {} };
    for (const img of CATALOG) {
      const own = childLayers.get(img.name);
      const layers = own !== undefined ? [baseLayer, own] : [baseLayer];
      const pkgs = img === debian ? recipePackages('debian') : allPackages(img);
      const out = join(reg, ...img.repo.split('/'));
      const { index, digest } = writeImage(out, img, epoch, [...layers]);
      const built: BuiltImage = {
        repo: img.repo,
        tags: [...img.tags],
        digest,
        layers: layers.map((l) => ({ digest: `sha256:${sha256(l.gzip)}`, raw: l.tar.length, gzip: l.gzip.length })),
        compressed: layers.reduce((s, l) => s + l.gzip.length, 0),
        unpacked: layers.reduce((s, l) => s + l.tar.length, 0),
        debian: versions([...pkgs]),
      };
      images.push(built);
      manifest.images[img.repo] = { index: sha256(index), size: index.length, tags: built.tags, compressed: built.compressed, unpacked: built.unpacked, debian: built.debian };
    }
    writeFileSync(join(dir, CATALOG_MANIFEST), `${JSON.stringify(manifest, null, 1)}\n`);
    log(
      `catalog: built in ${((Date.now() - t0) / 1000).toFixed(0)} s: ` +
        images.map((i) => `${i.repo.replace(/^docker\.io\/library\//, '')}:${i.tags[0]} ${(i.compressed / 1e6).toFixed(1)} MB gzip, ${(i.unpacked / 1e6).toFixed(1)} MB`).join('; '),
    );
    return { dir, key, epoch, images };
  } finally {
    await Promise.allSettled(guests.map((g) => g.close()));
    rmSync(work, { recursive: true, force: true });
  }
}

/** A docker-load archive of the debian layer plus an unnormalized layer over it. */
function layered(base: LayerInput, tar: Buffer, name: string, work: string): Buffer {
  return layoutArchive([base, { tar, gzip: runTool('gzip', ['-1', '-n', '-c'], tar) }], name, work);
}

/** The catalog, from the cache or built (minutes: the guest configures ~110 packages). */
export async function catalog(opts: { log?: Log; force?: boolean } = {}): Promise<Catalog> {
  const log = opts.log ?? (() => {});
  mkdirSync(CACHE, { recursive: true });
  const key = catalogKey();
  const dir = join(CACHE, key);
  const metaPath = join(dir, 'meta.json');
  if (!opts.force && existsSync(metaPath) && existsSync(join(dir, CATALOG_MANIFEST))) {
    log(`catalog: cached ${dir}`);
    writeFileSync(join(CACHE, 'current'), `${key}\n`);
    return JSON.parse(readFileSync(metaPath, 'utf8')) as Catalog;
  }
  const tmp = mkdtempSync(join(CACHE, `.${key}-`));
  try {
    const built = await build(tmp, key, log);
    writeFileSync(join(tmp, 'meta.json'), `${JSON.stringify({ ...built, dir }, null, 1)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    writeFileSync(join(CACHE, 'current'), `${key}\n`);
    return { ...built, dir };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function main(argv: string[]): Promise<void> {
  const force = argv.includes('--force');
  if (argv.some((a) => a !== '--force')) {
    process.stderr.write('usage: catalog.ts [--force]\n');
    process.exit(2);
  }
  const c = await catalog({ force, log: (s) => process.stderr.write(`${s}\n`) });
  process.stdout.write(`${JSON.stringify(c, null, 1)}\n`);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === HERE) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`catalog: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
