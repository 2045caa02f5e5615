// Prints the artifact list of src/common/manifest.ts for images/build.sh,
// one item a line, fields separated by spaces:
//   artifact NAME FILE        a boot file in images/dist/ (NAME is its --only step)
//   image NAME REPO TAG       a bundled image (recipe images/recipes/NAME/)
//   state FILE                the saved guest state
import { ARTIFACTS, REGISTRY_IMAGES, STATE_FILE } from '../../src/common/manifest.js';

const lines = [
  ...ARTIFACTS.map((a) => `artifact ${a.name} ${a.file}`),
  ...REGISTRY_IMAGES.map((i) => `image ${i.name} ${i.repo} ${i.tag}`),
  `state ${STATE_FILE}`,
];
for (const l of lines) if (/[\s]/.test(l.split(' ').join(''))) throw new Error(`list: whitespace in ${l}`);
process.stdout.write(`${lines.join('\n')}\n`);
