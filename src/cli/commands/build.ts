import { build as runBuild, BuildError, type ContextFile } from '../../runtime/build.js';
import type { CommandDef } from '../command.js';
import { bool, list, str } from '../flags.js';

const dec = new TextDecoder();

/** `docker build [-t NAME:TAG]… [-f FILE] [--build-arg K=V]… [--target STAGE] [--no-cache] [-q] CONTEXT` */
export const build: CommandDef = {
  names: ['image build', 'build', 'builder build'],
  usage: '[OPTIONS] PATH | -',
  description: 'Build an image from a Dockerfile',
  flags: [
    { long: 'build-arg', kind: 'list', description: 'Set build-time variables' },
    { long: 'file', short: 'f', kind: 'string', description: "Name of the Dockerfile (default: \"PATH/Dockerfile\")" },
    { long: 'no-cache', kind: 'bool', description: 'Do not use cache when building the image' },
    { long: 'progress', kind: 'string', description: 'Set type of progress output ("auto", "plain", "quiet"): always plain here', default: 'auto' },
    { long: 'quiet', short: 'q', kind: 'bool', description: 'Suppress the build output and print image ID on success' },
    { long: 'tag', short: 't', kind: 'list', description: 'Name and optionally a tag (format: "name:tag")' },
    { long: 'target', kind: 'string', description: 'Set the target build stage to build' },
  ],
  args: { min: 1, max: 1 },
  operands: ['none'],
  run: async (ctx, p) => {
    const where = p.args[0]!;
    const quiet = bool(p, 'quiet') || str(p, 'progress') === 'quiet';
    const progress = (s: string) => {
      if (!quiet) ctx.io.err(s);
    };
    const buildArgs: Record<string, string> = {};
    for (const kv of list(p, 'build-arg')) {
      const eq = kv.indexOf('=');
      if (eq > 0) buildArgs[kv.slice(0, eq)] = kv.slice(eq + 1);
      else if (ctx.io.env?.[kv] !== undefined) buildArgs[kv] = ctx.io.env[kv]!;
    }
    const file = str(p, 'file');
    try {
      let context: ContextFile[] = [];
      let dockerfileText: string | undefined;
      if (where === '-') {
        // a Dockerfile on stdin, no context
        if (!ctx.io.stdin) throw new BuildError('docker build -: no Dockerfile on stdin');
        const parts: Uint8Array[] = [];
        for (let c; (c = await ctx.io.stdin.read()); ) parts.push(c);
        dockerfileText = parts.map((x) => dec.decode(x, { stream: true })).join('') + dec.decode();
      } else {
        if (!ctx.io.readContext) throw new BuildError('this docker has no files to build from: give the Dockerfile on stdin (docker build -)');
        context = await ctx.io.readContext(where);
      }
      if (file !== undefined && dockerfileText === undefined) {
        if (file === '-') throw new BuildError('docker build -f -: not supported with a context directory here');
        if (!ctx.io.readFile) throw new BuildError(`failed to read dockerfile: open ${file}: no such file or directory`);
        dockerfileText = dec.decode(
          await ctx.io.readFile(file).catch(() => {
            throw new BuildError(`failed to read dockerfile: open ${file}: no such file or directory`);
          }),
        );
      }
      const target = str(p, 'target');
      const img = await runBuild(
        ctx.d,
        context,
        {
          ...(file !== undefined ? { file: file.slice(file.lastIndexOf('/') + 1) } : {}),
          ...(dockerfileText !== undefined ? { dockerfileText } : {}),
          tags: list(p, 'tag'),
          buildArgs,
          ...(target !== undefined ? { target } : {}),
          noCache: bool(p, 'no-cache'),
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        },
        progress,
      );
      if (quiet) ctx.io.out(`${img.id}\n`);
      return 0;
    } catch (e) {
      ctx.io.err(`ERROR: failed to solve: ${(e as Error).message}\n`);
      return 1;
    }
  },
};
