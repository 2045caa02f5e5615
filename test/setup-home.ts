// Each test file gets an image store of its own (the CLI's $DOCKYARD_HOME),
// as each used to get a fresh VM's store: no file sees another's images.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

process.env.DOCKYARD_HOME = mkdtempSync(join(tmpdir(), 'dockyard-home-'));
