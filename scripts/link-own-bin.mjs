// npm links the bins of dependencies into node_modules/.bin but never the root project's own, so
// in a clone `npx mnemos-memory …` would find no `mnemos` to run. Linking it here makes that
// command (and `npx mnemos`) run this checkout, never a package downloaded from the registry.
import { existsSync, lstatSync, mkdirSync, symlinkSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const modules = join(root, 'node_modules');
if (existsSync(modules)) {
  const bin = join(modules, '.bin');
  const link = join(bin, 'mnemos');
  mkdirSync(bin, { recursive: true });
  let present = false;
  try {
    lstatSync(link);
    present = true;
  } catch {
    // Not linked yet.
  }
  if (!present) symlinkSync(relative(bin, join(root, 'bin', 'mnemos.js')), link);
}
