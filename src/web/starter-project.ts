// The project a first visit finds in the files panel: a Dockerfile that
// builds from the bundled busybox in a few seconds, with a COPY, a RUN and a
// CMD, and a .dockerignore that keeps the notes out of the context.
import type { ProjectEntry } from './project.js';

const enc = new TextEncoder();

const DOCKERFILE = `FROM busybox
WORKDIR /app
COPY hello.sh .
RUN echo "built on $(uname -m) at $(date -u +%H:%M)" > built.txt
CMD ["./hello.sh"]
`;

const HELLO = `#!/bin/sh
echo "Hello from an image built in this tab!"
cat built.txt
`;

const IGNORE = `# what docker build leaves out of the context
*.md
`;

const NOTES = `Edit these files, then at the prompt:

  docker build -t hello .
  docker run --rm hello

Files here are what docker build and docker cp see as the current directory:
  docker run --name c busybox hostname
  docker cp c:/etc/hostname ./hostname
`;

export function starterProject(mtime = Math.floor(Date.now() / 1000)): ProjectEntry[] {
  const file = (path: string, text: string, mode = 0o644): ProjectEntry => ({ path, kind: 'file', mode, mtime, data: enc.encode(text) });
  return [file('.dockerignore', IGNORE), file('Dockerfile', DOCKERFILE), file('hello.sh', HELLO, 0o755), file('notes.md', NOTES)];
}
