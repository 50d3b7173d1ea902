// Native layer: where rewind's package (and so build/) is, found from this file's location.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('rewind: cannot find the package root');
    dir = up;
  }
  return dir;
}

export const packageRoot = findRoot();
