// Preload (`node --import`) that lists every module a process loads in MNEMOS_MODULE_TRACE: ES
// modules through a load hook, CommonJS ones (require, createRequire) from the cache at exit.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

register(new URL('./module-trace-hooks.mjs', import.meta.url));
const require = createRequire(import.meta.url);
process.on('exit', () => {
  const files = Object.keys(require.cache).map((file) => `file://${file}`);
  appendFileSync(process.env.MNEMOS_MODULE_TRACE, `${files.join('\n')}\n`);
});
