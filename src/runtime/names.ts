// Container names the way Docker makes them up: adjective_surname.
const LEFT = ['admiring', 'brave', 'busy', 'clever', 'cool', 'dreamy', 'eager', 'elegant', 'focused', 'gallant', 'happy', 'jolly', 'keen', 'kind', 'lucid', 'modest', 'nifty', 'peaceful', 'quirky', 'relaxed', 'serene', 'sharp', 'stoic', 'tender', 'upbeat', 'vibrant', 'wizardly', 'zealous'];
const RIGHT = ['babbage', 'bell', 'cerf', 'curie', 'darwin', 'dijkstra', 'einstein', 'euler', 'fermat', 'galileo', 'goldberg', 'hamilton', 'hopper', 'kare', 'knuth', 'lamport', 'liskov', 'lovelace', 'mccarthy', 'noether', 'pike', 'ritchie', 'shannon', 'thompson', 'torvalds', 'turing', 'wilson', 'wozniak'];

export function randomName(taken: ReadonlySet<string>, rand: () => number = Math.random): string {
  for (let i = 0; ; i++) {
    const n = `${LEFT[Math.floor(rand() * LEFT.length)]}_${RIGHT[Math.floor(rand() * RIGHT.length)]}${i > 10 ? Math.floor(rand() * 10) : ''}`;
    if (!taken.has(n)) return n;
  }
}

export function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(32));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}
