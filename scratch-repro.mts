import { debianImage } from './test/fixtures/debian-image.ts';
const a = await debianImage({ cacheDir: '/tmp/scratch/repro-cache' });
console.log(a.digest);
