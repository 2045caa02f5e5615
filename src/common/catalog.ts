// The catalog: the Debian-based images people reach for (debian, python,
// nginx, redis, postgres),
// built from Debian 12 i386 packages on demand by `npm run catalog`
// (images/tools/catalog.ts, recipes in images/recipes/<name>/) and cached,
// not committed. Realm-neutral: names, tags and what a pull says.

/** An image of the catalog. */
export interface CatalogImage {
  /** the recipe folder under images/recipes/ */
  readonly name: string;
  /** repository, `domain/path`: the layout folder under the catalog's registry/ */
  readonly repo: string;
  /** every tag the image answers to; the first is its own */
  readonly tags: readonly string[];
  /** the catalog image it is a layer on, if any */
  readonly parent?: string;
  /** one line for `docker search` and the playground */
  readonly description: string;
}

export const CATALOG: readonly CatalogImage[] = [
  {
    name: 'debian',
    repo: 'docker.io/library/debian',
    tags: ['bookworm-slim', '12-slim', 'bookworm', '12', 'latest'],
    description: 'Debian 12 (bookworm) minbase, i386, dpkg configured in the guest',
  },
  {
    name: 'python',
    repo: 'docker.io/library/python',
    tags: ['3.11-slim', '3.11', '3', 'latest', '3.11-slim-bookworm'],
    parent: 'debian',
    description: "Debian's python3.11 on debian:bookworm-slim (no pip)",
  },
  {
    name: 'nginx',
    repo: 'docker.io/library/nginx',
    tags: ['1.22', '1.22.1', 'bookworm', 'latest'],
    parent: 'debian',
    description: "Debian's nginx 1.22 laid out as the official image: the welcome page on port 80, logs to stdout/stderr",
  },
  {
    name: 'redis',
    repo: 'docker.io/library/redis',
    tags: ['7.0', '7', 'bookworm', 'latest'],
    parent: 'debian',
    description: "Debian's redis-server 7.0 and redis-cli, listening on every interface, protected mode off",
  },
  {
    name: 'postgres',
    repo: 'docker.io/library/postgres',
    tags: ['15', '15-bookworm', 'bookworm', 'latest'],
    parent: 'debian',
    description: "Debian's PostgreSQL 15 with the official image's POSTGRES_PASSWORD/USER/DB contract, sized for the 128 MB guest",
  },
];

/** The catalog's registry folder, under the cache directory the builder writes. */
export const CATALOG_REGISTRY_DIR = 'registry';
/** The catalog's own manifest (sha256 of each index.json), beside registry/. */
export const CATALOG_MANIFEST = 'catalog.json';

/** catalog.json: what `npm run catalog` built; the root of trust of the catalog's layouts. */
export interface CatalogManifest {
  schema: 1;
  /** repo → the layout's index.json */
  images: Record<string, { index: string; size: number; tags: string[]; compressed: number; unpacked: number; debian: Record<string, string> }>;
}

/** The catalog image of a repository (`docker.io/library/python`), if any. */
export function catalogImage(repo: string): CatalogImage | undefined {
  return CATALOG.find((c) => c.repo === repo);
}

/**
 * Well-known images that have no linux/386 build here or on Docker Hub, and
 * the nearest image that does run (what `docker pull` suggests instead).
 */
export const NO_386: Readonly<Record<string, { why: string; instead: string }>> = {
  'docker.io/library/node': { why: 'node is built for amd64, arm and arm64, ppc64le and s390x only', instead: 'python:3.11-slim (a language runtime) or debian:bookworm-slim' },
  'docker.io/library/ubuntu': { why: 'Ubuntu has built no i386 image since 18.04', instead: 'debian:bookworm-slim' },
  'docker.io/library/mysql': { why: 'mysql is built for amd64 and arm64 only', instead: 'postgres:15 (another SQL database) or debian:bookworm-slim' },
  'docker.io/jenkins/jenkins': { why: 'jenkins/jenkins is built for amd64, arm64, ppc64le and s390x only', instead: 'debian:bookworm-slim' },
};
