// Module hooks (loaded off-thread by module-trace.mjs): each ES module loaded is appended to
// MNEMOS_MODULE_TRACE, one URL a line.
import { appendFileSync } from 'node:fs';

export async function load(url, context, next) {
  const result = await next(url, context);
  appendFileSync(process.env.MNEMOS_MODULE_TRACE, `${url}\n`);
  return result;
}
