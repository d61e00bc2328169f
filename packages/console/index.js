import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The directory of the built console (index.html and assets/), served by @laas/server at /console. */
export const consoleDir = join(dirname(fileURLToPath(import.meta.url)), 'dist');
