// `docker build`: a Dockerfile's stages run the way the classic builder and
// kaniko run them — each RUN in a container whose writable layer becomes the
// step's layer (container.diff), each COPY/ADD a layer written here on the
// host from the context (no guest work), config instructions applied to the
// image config — with a layer cache keyed on the parent step, the
// instruction and the digests of what it copies, and BuildKit's plain
// progress. Every step's result is kept as a build cache image (hidden from
// `docker images`); the tags are put last, so a failed or cancelled build
// names nothing.
import { gunzipIfGzip, GunzipLimitError } from '../common/gzip.js';
import { sha256Hex } from '../common/manifest.js';
import type { ImageConfig } from '../common/oci/types.js';
import { readLayer, type LayerEntry } from '../common/store/layer.js';
import { TarBuilder, type TarItem } from '../common/store/layer-write.js';
import { canonicalString, parseReference } from '../common/oci/reference.js';
import type { Containers } from './containers.js';
import { expand, flag, parseDockerfile, words, DockerfileError, type Dockerfile, type Raw, type Stage } from './dockerfile.js';
import { DockerError } from './errors.js';
import { applyConfig, commandOf, createdBy, DEFAULT_SHELL, envMap, resolvePath, type ConfigState } from './image-config.js';
import type { ImageRecord, ImageStore } from './images.js';
import { clean, hasWildcard, IgnoreRules, patternRegex } from './patterns.js';

/** One entry of the build context (paths relative, `/`-separated). */
export interface ContextFile {
  path: string;
  kind: 'file' | 'dir' | 'symlink';
  mode: number;
  /** seconds */
  mtime: number;
  data?: Uint8Array;
  link?: string;
}

export interface BuildOptions {
  /** the Dockerfile's path in the context (default `Dockerfile`) */
  file?: string;
  /** the Dockerfile's text when it does not come from the context (`-f -`) */
  dockerfileText?: string;
  tags?: string[];
  buildArgs?: Record<string, string>;
  target?: string;
  noCache?: boolean;
  /** cancels the build (Ctrl-C): an AbortSignal */
  signal?: CancelSignal;
}

/** What the build needs of an AbortSignal. */
export interface CancelSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', f: () => void): void;
  removeEventListener(type: 'abort', f: () => void): void;
}

/** A failed build: the message after `ERROR: failed to solve: `. */
export class BuildError extends DockerError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'BuildError';
  }
}

/** Where the build runs: the runtime's containers and images, and pulls. */
export interface Builder {
  containers: Containers;
  images: ImageStore;
  pull(ref: string): Promise<ImageRecord>;
}

/** A context bigger than this is refused before anything is read into layers. */
export const CONTEXT_LIMIT = 128 << 20;

const enc = new TextEncoder();
const dec = new TextDecoder();

/** What a stage has made so far. */
interface StageState {
  /** the image of the last step that made a layer (undefined: scratch, nothing yet) */
  image: ImageRecord | undefined;
  /** the cache key of the last step */
  key: string;
  config: ImageConfig;
  st: ConfigState;
  /** the stage's declared ARGs and their values (RUN's environment) */
  args: Map<string, string>;
  /** `created` of the newest step (a cached step keeps its own) */
  created: string;
}

const now = () => performance.now();
const secs = (ms: number) => (ms / 1000).toFixed(1);

/** BuildKit's plain progress: `#N …` lines per vertex. */
class Progress {
  private n = 0;
  constructor(private readonly write: (s: string) => void) {}

  vertex(name: string): Vertex {
    const v = new Vertex(++this.n, this.write);
    this.write(`#${v.id} ${name}\n`);
    return v;
  }
}

class Vertex {
  private readonly t0 = now();
  private partial = '';
  constructor(
    readonly id: number,
    private readonly write: (s: string) => void,
  ) {}

  line(s: string): void {
    this.write(`#${this.id} ${s}\n`);
  }

  /** A process's output, each line stamped with the seconds since the step started. */
  output(bytes: Uint8Array): void {
    const text = this.partial + dec.decode(bytes, { stream: true });
    const lines = text.split('\n');
    this.partial = lines.pop()!;
    for (const l of lines) this.write(`#${this.id} ${((now() - this.t0) / 1000).toFixed(3)} ${l}\n`);
  }

  private flush(): void {
    if (this.partial !== '') this.write(`#${this.id} ${((now() - this.t0) / 1000).toFixed(3)} ${this.partial}\n`);
    this.partial = '';
  }

  done(): void {
    this.flush();
    this.write(`#${this.id} DONE ${secs(now() - this.t0)}s\n\n`);
  }

  cached(): void {
    this.write(`#${this.id} CACHED\n\n`);
  }

  error(msg: string): void {
    this.flush();
    this.write(`#${this.id} ERROR: ${msg}\n`);
  }
}

async function hashOf(...parts: Array<string | Uint8Array>): Promise<string> {
  const chunks = parts.map((p) => (typeof p === 'string' ? enc.encode(p) : p));
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length + 1, 0));
  let off = 0;
  for (const c of chunks) {
    all.set(c, off);
    off += c.length + 1; // a separator byte (0) between parts
  }
  return sha256Hex(all);
}

/** The Dockerfile excerpt BuildKit prints under a failed step. */
function excerpt(text: string, file: string, r: Raw): string {
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === '') lines.pop();
  const from = Math.max(1, r.line - 4);
  const out = [`${file}:${r.line === r.endLine ? r.line : `${r.line}-${r.endLine}`}`, '--------------------'];
  for (let i = from; i <= Math.min(r.endLine, lines.length); i++) {
    const mark = i >= r.line && i <= r.endLine ? ' >>> ' : '     ';
    out.push(`${String(i).padStart(4)} |${mark}${lines[i - 1]}`);
  }
  out.push('--------------------');
  return `${out.join('\n')}\n`;
}

/**
 * Builds; progress goes to `progress` (docker writes it to stderr). Returns
 * the image, tagged with every `tags` name.
 */
export async function build(b: Builder, context: ContextFile[], o: BuildOptions, progress: (s: string) => void): Promise<ImageRecord> {
  const p = new Progress(progress);
  const file = o.file ?? 'Dockerfile';
  let total = 0;
  for (const f of context) total += f.data?.length ?? 0;
  if (total > CONTEXT_LIMIT) throw new BuildError(`build context of ${total} bytes is over the limit of ${CONTEXT_LIMIT} bytes: list what the build does not need in .dockerignore`);

  const def = p.vertex(`[internal] load build definition from ${file.slice(file.lastIndexOf('/') + 1)}`);
  const text = o.dockerfileText ?? (context.find((f) => f.path === clean(file) && f.kind === 'file')?.data !== undefined ? dec.decode(context.find((f) => f.path === clean(file))!.data) : undefined);
  if (text === undefined) {
    def.error(`failed to read dockerfile: open ${file}: no such file or directory`);
    throw new BuildError(`failed to read dockerfile: open ${file}: no such file or directory`);
  }
  def.line(`transferring dockerfile: ${enc.encode(text).length}B done`);
  let df: Dockerfile;
  try {
    df = parseDockerfile(text);
  } catch (e) {
    if (e instanceof DockerfileError) {
      def.error(e.message);
      throw new BuildError(e.message);
    }
    throw e;
  }
  def.done();

  // global ARGs: FROM lines may use them
  const buildArgs = new Map(Object.entries(o.buildArgs ?? {}));
  const globals = new Map<string, string>();
  for (const r of df.globalArgs) {
    for (const [k, v] of argPairs(r, df.escape)) {
      const val = buildArgs.get(k) ?? (v === undefined ? undefined : expand(v, globals, df.escape, r.line));
      if (val !== undefined) globals.set(k, val);
    }
  }

  // the stages the target needs, in file order
  const target = o.target !== undefined ? df.stages.find((s) => s.name === o.target!.toLowerCase()) : df.stages[df.stages.length - 1];
  if (!target) throw new BuildError(`target stage "${o.target}" could not be found`);
  const needed = neededStages(df, target, globals);

  // base images: BuildKit's "load metadata" vertices
  const bases = new Map<string, ImageRecord>();
  for (const s of needed) {
    const ref = fromRef(s, df, globals);
    if (ref === 'scratch' || stageByName(df, ref, s.index) || bases.has(ref)) continue;
    const canonical = canonicalOf(ref);
    const v = p.vertex(`[internal] load metadata for ${canonical}`);
    let img = await b.images.find(ref);
    if (!img) {
      try {
        img = await b.pull(ref);
      } catch (e) {
        v.error((e as Error).message);
        throw new BuildError(`${canonical}: failed to resolve source metadata for ${canonical}: ${(e as Error).message}`);
      }
    }
    bases.set(ref, img);
    v.done();
  }

  // .dockerignore and the context COPY/ADD read
  const ignoreFile = context.find((f) => f.path === '.dockerignore' && f.kind === 'file');
  const dockerignore = p.vertex('[internal] load .dockerignore');
  dockerignore.line(`transferring context: ${ignoreFile?.data?.length ?? 2}B done`);
  dockerignore.done();
  const rules = new IgnoreRules(ignoreFile?.data ? dec.decode(ignoreFile.data) : '');
  const usesContext = needed.some((s) => s.body.some((r) => (r.keyword === 'COPY' && flag(r, 'from') === undefined) || r.keyword === 'ADD'));
  const files = new Map<string, ContextFile>();
  for (const f of context) if (!rules.ignored(f.path)) files.set(f.path, f);
  if (usesContext) {
    const v = p.vertex('[internal] load build context');
    let n = 0;
    for (const f of files.values()) n += f.data?.length ?? 0;
    v.line(`transferring context: ${n}B done`);
    v.done();
  }

  const results = new Map<number, StageState>();
  const multi = df.stages.length > 1;
  for (const s of needed) {
    const label = multi ? `${s.name ?? `stage-${s.index}`} ` : '';
    const steps = s.body.filter((r) => LAYER_STEPS.has(r.keyword)).length + 1;
    let step = 1;
    const ref = fromRef(s, df, globals);
    const vFrom = p.vertex(`[${label}${step}/${steps}] FROM ${ref === 'scratch' ? 'scratch' : stageByName(df, ref, s.index) ? ref : canonicalOf(ref)}`);
    const state = await startStage(b, df, s, ref, bases, results, globals);
    vFrom.cached();
    for (const r of s.body) {
      if (o.signal?.aborted) throw new BuildError('context canceled');
      if (r.keyword === 'ARG') {
        for (const [k, v] of argPairs(r, df.escape)) {
          const val = buildArgs.get(k) ?? (v === undefined ? globals.get(k) : expand(v, state.st.vars, df.escape, r.line));
          if (val !== undefined) {
            state.args.set(k, val);
            if (!envMap(state.config.config?.Env).has(k)) state.st.vars.set(k, val);
          }
        }
        state.key = await hashOf(state.key, r.text, JSON.stringify([...state.args]));
        continue;
      }
      if (!LAYER_STEPS.has(r.keyword)) {
        try {
          applyConfig(state.st, r);
        } catch (e) {
          if (e instanceof DockerfileError) throw new BuildError(e.message);
          throw e;
        }
        state.key = await hashOf(state.key, r.text, ...r.heredocs.map((h) => h.content));
        history(state, { created_by: r.text, comment: 'buildkit.dockerfile.v0', empty_layer: true });
        continue;
      }
      step++;
      const v = p.vertex(`[${label}${step}/${steps}] ${r.text}`);
      try {
        await runStep(b, df, s, r, state, v, files, results, o);
      } catch (e) {
        // once cancelled, whatever the step met on its way out (its container
        // removed mid-start) is the cancel
        const msg = o.signal?.aborted ? 'context canceled' : e instanceof DockerfileError ? e.message : (e as Error).message;
        v.error(msg);
        progress(`------\n > [${label}${step}/${steps}] ${r.text}:\n------\n`);
        progress(excerpt(text, file, r));
        throw e instanceof BuildError && !o.signal?.aborted ? e : new BuildError(msg);
      }
    }
    results.set(s.index, state);
  }

  const last = results.get(target.index)!;
  const v = p.vertex('exporting to image');
  const config = finalConfig(last);
  const key = await hashOf(last.key, 'final', JSON.stringify(config));
  let img = o.noCache ? undefined : await b.images.fromCache(key);
  if (!img) {
    img = await b.images.create({ ...(last.image ? { parent: last.image } : {}), config, layers: [], record: false });
    await b.images.toCache(key, img);
  }
  v.line('exporting layers done');
  v.line(`writing image ${img.id} done`);
  const tags = o.tags ?? [];
  for (const t of tags) {
    await b.images.name(img, t);
    v.line(`naming to ${canonicalOf(t)} done`);
  }
  if (tags.length === 0) await b.images.name(img);
  v.done();
  return img;
}

const LAYER_STEPS = new Set(['RUN', 'COPY', 'ADD', 'WORKDIR']);
/** `--link` is accepted (layers here are independent of their parent anyway); these are not. */
const UNSUPPORTED_FLAGS = new Set(['RUN --mount', 'RUN --network', 'RUN --security', 'COPY --parents', 'COPY --exclude', 'ADD --exclude', 'ADD --checksum', 'ADD --keep-git-dir']);

function argPairs(r: Raw, escape: string): Array<[string, string | undefined]> {
  return words(r.rest, escape).map((kv) => {
    const eq = kv.indexOf('=');
    return eq < 0 ? [kv, undefined] : [kv.slice(0, eq), kv.slice(eq + 1)];
  });
}

function canonicalOf(ref: string): string {
  try {
    const r = parseReference(ref);
    return canonicalString({ ...r, ...(r.digest === undefined ? { tag: r.tag ?? 'latest' } : {}) });
  } catch {
    throw new BuildError(`invalid reference format: ${ref}`);
  }
}

function fromRef(s: Stage, df: Dockerfile, globals: Map<string, string>): string {
  const w = words(s.from.rest, df.escape);
  const ref = expand(w[0]!, globals, df.escape, s.from.line);
  if (ref === '') throw new BuildError(`base name (${w[0]}) should not be blank`);
  return ref;
}

/** A stage named (or numbered) `ref` before stage `before`. */
function stageByName(df: Dockerfile, ref: string, before: number): Stage | undefined {
  const low = ref.toLowerCase();
  return df.stages.find((s) => s.index < before && (s.name === low || String(s.index) === ref));
}

function neededStages(df: Dockerfile, target: Stage, globals: Map<string, string>): Stage[] {
  const need = new Set<number>();
  const visit = (s: Stage) => {
    if (need.has(s.index)) return;
    need.add(s.index);
    const base = stageByName(df, fromRef(s, df, globals), s.index);
    if (base) visit(base);
    for (const r of s.body) {
      const from = r.keyword === 'COPY' ? flag(r, 'from') : undefined;
      const dep = from !== undefined ? stageByName(df, from, s.index) : undefined;
      if (dep) visit(dep);
    }
  };
  visit(target);
  return df.stages.filter((s) => need.has(s.index));
}

async function startStage(
  b: Builder,
  df: Dockerfile,
  s: Stage,
  ref: string,
  bases: Map<string, ImageRecord>,
  results: Map<number, StageState>,
  globals: Map<string, string>,
): Promise<StageState> {
  void globals;
  const prior = stageByName(df, ref, s.index);
  if (prior) {
    const r = results.get(prior.index)!;
    const config: ImageConfig = JSON.parse(JSON.stringify(finalConfigWithRootfs(r))) as ImageConfig;
    return fresh(r.image, r.key, config, df.escape, r.created);
  }
  if (ref === 'scratch') {
    const config: ImageConfig = { architecture: '386', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };
    return fresh(undefined, await hashOf('scratch'), config, df.escape, new Date(0).toISOString());
  }
  const img = bases.get(ref)!;
  const config = await b.images.config(img);
  return fresh(img, img.id, config, df.escape, config.created ?? new Date(0).toISOString());
}

function fresh(image: ImageRecord | undefined, key: string, config: ImageConfig, escape: string, created: string): StageState {
  config.config ??= {};
  const st: ConfigState = { config: config.config, vars: envMap(config.config.Env), escape, cmdSet: false };
  return { image, key, config, st, args: new Map(), created };
}

function history(state: StageState, h: { created_by: string; comment?: string; empty_layer?: boolean }): void {
  state.config.history = [...(state.config.history ?? []), { created: state.created, ...h }];
}

function finalConfigWithRootfs(s: StageState): ImageConfig {
  return { ...s.config, created: s.created, config: s.st.config, ...(s.st.author !== undefined ? { author: s.st.author } : {}) };
}

function finalConfig(s: StageState): Omit<ImageConfig, 'rootfs'> {
  const c = finalConfigWithRootfs(s) as Partial<ImageConfig>;
  delete c.rootfs;
  return c as Omit<ImageConfig, 'rootfs'>;
}

/** The stage's image after a step that made `layer` (cached under `key`). */
async function commitStep(b: Builder, state: StageState, key: string, layer: Uint8Array | undefined, createdByText: string, o: BuildOptions): Promise<void> {
  state.created = new Date().toISOString();
  history(state, { created_by: createdByText, comment: 'buildkit.dockerfile.v0', ...(layer ? {} : { empty_layer: true }) });
  const img = await b.images.create({ ...(state.image ? { parent: state.image } : {}), config: finalConfig(state), layers: layer ? [layer] : [], record: false });
  await b.images.toCache(key, img);
  void o;
  state.image = img;
  state.key = key;
}

/** A cache hit: the stage continues from the cached image (its config's history and time). */
async function fromCache(b: Builder, state: StageState, key: string, o: BuildOptions): Promise<boolean> {
  if (o.noCache) return false;
  const img = await b.images.fromCache(key);
  if (!img) return false;
  const config = await b.images.config(img);
  state.image = img;
  state.key = key;
  state.created = config.created ?? state.created;
  state.config.history = config.history ?? [];
  return true;
}

async function runStep(
  b: Builder,
  df: Dockerfile,
  s: Stage,
  r: Raw,
  state: StageState,
  v: Vertex,
  files: Map<string, ContextFile>,
  results: Map<number, StageState>,
  o: BuildOptions,
): Promise<void> {
  const cfg = state.st.config;
  const x = (t: string) => expand(t, state.st.vars, df.escape, r.line);
  // flags the reference has that Dockyard does not do: refused, never silently ignored
  for (const [name] of r.flags) {
    if (UNSUPPORTED_FLAGS.has(`${r.keyword} --${name}`)) throw new BuildError(`${r.keyword} --${name} is not supported by Dockyard`);
  }
  if (r.keyword === 'WORKDIR') {
    applyConfig(state.st, r);
    const dir = cfg.WorkingDir!;
    const key = await hashOf(state.key, r.text, dir, cfg.User ?? '');
    if (await fromCache(b, state, key, o)) return v.cached();
    const top = state.image?.chainIds[state.image.chainIds.length - 1];
    const have = top ? (await b.images.lookup(top, [dir.slice(1)]))[0] : undefined;
    if (have?.kind === 'dir' || dir === '/') {
      // nothing to make: a config-only step, kept in the cache all the same (a rebuild says CACHED)
      await commitStep(b, state, key, undefined, r.text, o);
      return v.done();
    }
    const owner = await resolveOwner(b, state, cfg.User ?? '', r);
    const layer = await layerOf(b, state, [{ path: dir.slice(1), kind: 'dir', mode: 0o755, uid: owner.uid, gid: owner.gid, mtime: Math.floor(Date.now() / 1000) }], dir.slice(1));
    await commitStep(b, state, key, layer, r.text, o);
    return v.done();
  }
  if (r.keyword === 'RUN') return run(b, df, r, state, v, o);
  // COPY / ADD
  const chownSpec = flag(r, 'chown');
  const chmodSpec = flag(r, 'chmod');
  if (chmodSpec !== undefined && !/^[0-7]{3,4}$/.test(chmodSpec)) throw new BuildError(`invalid chmod parameter: ${chmodSpec}`);
  const args = (r.json ?? words(r.rest, df.escape)).map(x);
  const destRaw = args.pop()!;
  const heredocs = r.heredocs;
  const sources = heredocs.length > 0 ? args.filter((a) => !/^<<-?["']?[A-Za-z_]/.test(a)) : args;
  const destIsDir = destRaw.endsWith('/') || destRaw.endsWith('/.') || sources.length + heredocs.length > 1 || sources.some(hasWildcard);
  const dest = resolvePath(cfg.WorkingDir || '/', destRaw).slice(1);
  const fromSpec = flag(r, 'from');
  // what is copied: items relative to the destination
  const items: TarItem[] = [];
  const digests: string[] = [];
  const top = state.image?.chainIds[state.image.chainIds.length - 1];
  const destStat = top && dest !== '' ? (await b.images.lookup(top, [dest]))[0] : undefined;
  const intoDir = destIsDir || destStat?.kind === 'dir' || dest === '';
  const mtimeNow = Math.floor(Date.now() / 1000);
  const place = (srcBase: string, rel: string, it: Omit<TarItem, 'path'>) => {
    // rel '' is the source itself
    const name = rel === '' ? (intoDir ? join(dest, srcBase) : dest) : join(intoDir || it.kind === 'dir' ? join(dest, srcBase) : dest, rel);
    items.push({ ...it, path: name });
  };
  for (const h of heredocs) {
    const data = enc.encode(h.expand ? x(h.content) : h.content);
    items.push({ path: intoDir ? join(dest, h.name) : dest, kind: 'file', mode: 0o644, uid: 0, gid: 0, mtime: mtimeNow, data });
    digests.push(await hashOf(h.name, data));
  }
  if (fromSpec !== undefined) {
    const src = await fromImage(b, df, fromSpec, results, s);
    for (const a of sources) {
      const path = clean(a);
      const tar = src ? await b.images.archive(src, path) : undefined;
      if (!tar) throw new BuildError(`failed to compute cache key: failed to calculate checksum of ref: "/${path}": not found`);
      const entries = readLayer(tar);
      const base = path === '' ? '' : path.slice(path.lastIndexOf('/') + 1);
      for (const e of entries) {
        const rel = base === '' ? e.path : e.path === base ? '' : e.path.slice(base.length + 1);
        const data = e.kind === 'file' ? tar.slice(e.data, e.data + e.size) : undefined;
        // a directory source: its contents go into the destination
        const isRootDir = rel === '' && e.kind === 'dir';
        if (isRootDir) {
          items.push({ path: dest, kind: 'dir', mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime });
          continue;
        }
        const entryItem = itemOf(e, data);
        if (entries[0]?.kind === 'dir') items.push({ ...entryItem, path: join(dest, rel) });
        else place(base, rel, entryItem);
        digests.push(await hashOf(e.path, String(e.mode), String(e.uid), e.link, data ?? ''));
      }
    }
  } else {
    for (const a of sources) {
      if (/^[a-z]+:\/\//i.test(a) || a.startsWith('git@')) throw new BuildError(`${r.keyword} from a URL (${a}) is not supported by Dockyard: the context is the only source`);
      const matched = matchContext(files, a);
      if (matched.length === 0) throw new BuildError(`failed to compute cache key: failed to calculate checksum of ref: "/${clean(a)}": not found`);
      for (const m of matched) {
        // `.`: the context's root, a directory
        const f = files.get(m) ?? { path: '', kind: 'dir', mode: 0o755, mtime: mtimeNow };
        const base = m.slice(m.lastIndexOf('/') + 1);
        if (r.keyword === 'ADD' && f.kind === 'file' && flag(r, 'unpack') !== 'false' && f.data && isArchive(f.data)) {
          const tar = await unpackable(f.data);
          for (const e of readLayer(tar)) {
            items.push({ ...itemOf(e, e.kind === 'file' ? tar.slice(e.data, e.data + e.size) : undefined), path: join(dest, e.path) });
          }
          digests.push(await hashOf(m, f.data));
          continue;
        }
        if (f.kind === 'dir') {
          items.push({ path: dest, kind: 'dir', mode: f.mode, uid: 0, gid: 0, mtime: f.mtime });
          for (const [p, g] of files) {
            if (!p.startsWith(`${m}/`) && m !== '') continue;
            if (p === m) continue;
            const rel = m === '' ? p : p.slice(m.length + 1);
            items.push({ ...contextItem(g), path: join(dest, rel) });
            digests.push(await hashOf(rel, String(g.mode), g.link ?? '', g.data ?? ''));
          }
          continue;
        }
        place(base, '', contextItem(f));
        digests.push(await hashOf(m, String(f.mode), f.link ?? '', f.data ?? ''));
      }
    }
  }
  const key = await hashOf(state.key, r.text, dest, ...digests.sort());
  if (await fromCache(b, state, key, o)) return v.cached();
  const owner = chownSpec !== undefined ? await resolveOwner(b, state, chownSpec, r) : { uid: 0, gid: 0 };
  for (const it of items) {
    if (chownSpec !== undefined) Object.assign(it, owner);
    if (chmodSpec !== undefined && it.kind !== 'symlink' && it.kind !== 'hardlink') it.mode = parseInt(chmodSpec, 8);
  }
  const layer = await layerOf(b, state, items, dest, owner);
  await commitStep(b, state, key, layer, createdBy(r), o);
  v.done();
}

function join(a: string, b: string): string {
  return a === '' ? b : b === '' ? a : `${a}/${b}`;
}

function itemOf(e: LayerEntry, data: Uint8Array | undefined): Omit<TarItem, 'path'> {
  return {
    kind: e.kind,
    mode: e.mode,
    uid: e.uid,
    gid: e.gid,
    mtime: e.mtime,
    ...(data ? { data } : {}),
    ...(e.kind === 'symlink' || e.kind === 'hardlink' ? { link: e.link } : {}),
    ...(e.kind === 'char' || e.kind === 'block' ? { major: e.major, minor: e.minor } : {}),
  };
}

function contextItem(f: ContextFile): Omit<TarItem, 'path'> {
  return {
    kind: f.kind,
    mode: f.mode,
    uid: 0,
    gid: 0,
    mtime: f.mtime,
    ...(f.data ? { data: f.data } : {}),
    ...(f.link !== undefined ? { link: f.link } : {}),
  };
}

/** Context paths a COPY source names: itself, or what its wildcard pattern matches (top level of matches only). */
function matchContext(files: Map<string, ContextFile>, src: string): string[] {
  const p = clean(src);
  if (!hasWildcard(p)) return files.has(p) || p === '' ? [p] : [];
  const re = patternRegex(p);
  return [...files.keys()].filter((k) => re.test(k)).sort();
}

function isArchive(d: Uint8Array): boolean {
  if (d[0] === 0x1f && d[1] === 0x8b) return true;
  return d.length >= 512 && dec.decode(d.subarray(257, 262)) === 'ustar';
}

async function unpackable(d: Uint8Array): Promise<Uint8Array> {
  try {
    return await gunzipIfGzip(d, CONTEXT_LIMIT);
  } catch (e) {
    if (e instanceof GunzipLimitError) throw new BuildError(`ADD: archive ${e.message}`);
    throw e;
  }
}

/** The snapshot a `--from` names: a stage built before, or an image (pulled if needed). */
async function fromImage(b: Builder, df: Dockerfile, spec: string, results: Map<number, StageState>, s: Stage): Promise<string | undefined> {
  const stage = stageByName(df, spec, s.index);
  if (stage) {
    const img = results.get(stage.index)?.image;
    return img?.chainIds[img.chainIds.length - 1];
  }
  const img = (await b.images.find(spec)) ?? (await b.pull(spec));
  return img.chainIds[img.chainIds.length - 1];
}

/** A numeric or named `user[:group]`, names read from the image's /etc/passwd and /etc/group. */
async function resolveOwner(b: Builder, state: StageState, spec: string, r: Raw): Promise<{ uid: number; gid: number }> {
  if (spec === '') return { uid: 0, gid: 0 };
  const [user, group] = spec.split(':', 2) as [string, string | undefined];
  const top = state.image?.chainIds[state.image.chainIds.length - 1];
  const table = async (file: string) => {
    const tar = top ? await b.images.archive(top, file) : undefined;
    if (!tar) return [];
    const e = readLayer(tar).find((x) => x.kind === 'file');
    return e ? dec.decode(tar.subarray(e.data, e.data + e.size)).split('\n').map((l) => l.split(':')) : [];
  };
  let uid: number;
  let gid = 0;
  if (/^\d+$/.test(user)) {
    uid = Number(user);
    const pw = (await table('etc/passwd')).find((f) => f[2] === user);
    if (pw) gid = Number(pw[3]);
  } else {
    const pw = (await table('etc/passwd')).find((f) => f[0] === user);
    if (!pw) throw new BuildError(`unable to convert uid/gid chown string to host mapping: can't find uid for user ${user}: no such user: ${user}`);
    uid = Number(pw[2]);
    gid = Number(pw[3]);
  }
  if (group !== undefined) {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const gr = (await table('etc/group')).find((f) => f[0] === group);
      if (!gr) throw new BuildError(`unable to convert uid/gid chown string to host mapping: can't find gid for group ${group}: no such group: ${group}`);
      gid = Number(gr[2]);
    }
  } else if (!/^\d+$/.test(user) || gid === 0) {
    // `--chown=uid` alone: the group is the uid's (as BuildKit)
    if (/^\d+$/.test(user) && gid === 0) gid = uid;
  }
  void r;
  return { uid, gid };
}

/**
 * The layer of a COPY/ADD/WORKDIR: its items, with every parent directory
 * they need (as it is below when it exists there, else made: 0755, and the
 * destination itself owned by `owner`).
 */
async function layerOf(b: Builder, state: StageState, items: TarItem[], dest: string, owner = { uid: 0, gid: 0 }): Promise<Uint8Array> {
  const top = state.image?.chainIds[state.image.chainIds.length - 1];
  const byPath = new Map<string, TarItem>();
  for (const it of items) if (it.path !== '') byPath.set(it.path, it);
  const parents = new Set<string>();
  for (const p of byPath.keys()) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join('/'));
  }
  const missing = [...parents].filter((p) => !byPath.has(p)).sort();
  const below = top && missing.length > 0 ? await b.images.lookup(top, missing) : [];
  const now = Math.floor(Date.now() / 1000);
  missing.forEach((p, i) => {
    const st = below[i];
    if (st && st.kind === 'dir') byPath.set(p, { path: p, kind: 'dir', mode: st.mode, uid: st.uid, gid: st.gid, mtime: st.mtime });
    else {
      const mine = p === dest || p.startsWith(`${dest}/`);
      byPath.set(p, { path: p, kind: 'dir', mode: 0o755, uid: mine ? owner.uid : 0, gid: mine ? owner.gid : 0, mtime: now });
    }
  });
  const t = new TarBuilder();
  for (const p of [...byPath.keys()].sort(byComponents)) t.add(byPath.get(p)!);
  return t.finish();
}

/** Path order with parents before children (`a` < `a/b` < `a-b`). */
function byComponents(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return x.length - y.length;
}

async function run(b: Builder, df: Dockerfile, r: Raw, state: StageState, v: Vertex, o: BuildOptions): Promise<void> {
  const cfg = state.st.config;
  const shell = cfg.Shell ?? DEFAULT_SHELL;
  let args: string[];
  if (r.heredocs.length > 0 && r.rest.replace(/<<-?(["']?)[A-Za-z_][A-Za-z0-9_]*\1/g, '').trim() === '') {
    // `RUN <<EOF`: the body is the script
    args = [...shell, r.heredocs.map((h) => h.content).join('')];
  } else if (r.heredocs.length > 0) {
    args = [...shell, `${r.rest}\n${r.heredocs.map((h) => `${h.content}${h.name}\n`).join('')}`];
  } else args = commandOf(r, shell);
  const env = envMap(cfg.Env);
  const runEnv = [...(cfg.Env ?? []), ...[...state.args].filter(([k]) => !env.has(k)).map(([k, val]) => `${k}=${val}`)];
  const key = await hashOf(state.key, 'RUN', JSON.stringify(args), JSON.stringify(runEnv), cfg.WorkingDir ?? '', cfg.User ?? '');
  if (await fromCache(b, state, key, o)) return v.cached();
  const shown = args.join(' ');
  if (!state.image) throw new BuildError(`process "${shown}" did not complete successfully: the stage is empty (FROM scratch): there is nothing to run`);
  const out = { stdout: (d: Uint8Array) => v.output(d), stderr: (d: Uint8Array) => v.output(d) };
  const started = await b.containers.run(
    { image: state.image.id, entrypoint: '', cmd: args, env: runEnv, workdir: cfg.WorkingDir || '/', user: cfg.User ?? '' },
    out,
    state.image,
  );
  const cancel = () => void b.containers.remove(started.id, true).catch(() => {});
  o.signal?.addEventListener('abort', cancel);
  try {
    const exit = await started.proc.exit;
    if (o.signal?.aborted) throw new BuildError('context canceled');
    if (exit.exitCode !== 0) throw new BuildError(`process "${shown}" did not complete successfully: exit code: ${exit.exitCode}`);
    const { tar } = await b.containers.layer(started.id);
    await commitStep(b, state, key, tar, `RUN ${shown} # buildkit`, o);
  } finally {
    o.signal?.removeEventListener('abort', cancel);
    await b.containers.remove(started.id, true).catch(() => {});
  }
  v.done();
}

