// Removes dist/ before a build, so files whose source moved or was deleted are not shipped or run.
import { rmSync } from 'node:fs';

rmSync(new URL('../dist', import.meta.url), { recursive: true, force: true });
