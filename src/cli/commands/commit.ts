import { commit as commitContainer, diff as diffContainer } from '../../runtime/commit.js';
import type { CommandDef } from '../command.js';
import { list, str } from '../flags.js';

/** `docker diff CONTAINER`: what its writable layer added (A), changed (C) and deleted (D). */
export const diff: CommandDef = {
  names: ['container diff', 'diff'],
  usage: 'CONTAINER',
  description: "Inspect changes to files or directories on a container's filesystem",
  flags: [],
  args: { min: 1, max: 1 },
  operands: ['container'],
  run: async (ctx, p) => {
    const changes = await diffContainer(ctx.d.containers, ctx.d.images, p.args[0]!);
    ctx.io.out(changes.map((c) => `${c.kind} ${c.path}\n`).join(''));
    return 0;
  },
};

/** `docker commit [-a AUTHOR] [-c CHANGE]… [-m MSG] CONTAINER [REPO[:TAG]]`: prints the new image's id. */
export const commit: CommandDef = {
  names: ['container commit', 'commit'],
  usage: '[OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  description: "Create a new image from a container's changes",
  flags: [
    { long: 'author', short: 'a', kind: 'string', description: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { long: 'change', short: 'c', kind: 'list', description: 'Apply Dockerfile instruction to the created image' },
    { long: 'message', short: 'm', kind: 'string', description: 'Commit message' },
    { long: 'pause', short: 'p', kind: 'bool', description: 'Pause container during commit (a no-op here: the layer is read as it is)', default: 'true' },
  ],
  args: { min: 1, max: 2 },
  operands: ['container', 'none'],
  run: async (ctx, p) => {
    const author = str(p, 'author');
    const message = str(p, 'message');
    const img = await commitContainer(ctx.d.containers, ctx.d.images, p.args[0]!, {
      ...(p.args[1] !== undefined ? { name: p.args[1] } : {}),
      changes: list(p, 'change'),
      ...(author !== undefined ? { author } : {}),
      ...(message !== undefined ? { message } : {}),
    });
    ctx.io.out(`${img.id}\n`);
    return 0;
  },
};
