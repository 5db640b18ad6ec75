import { readCapped } from '../../agent/tools/web-fetch.js';
import { MnemosError } from '../../core/errors.js';
import { tooLarge } from './slack-inbound.js';

/** Where a private file may be fetched from and with which token. */
export interface SlackFileAccess {
  botToken: string;
  /** The configured Web API root; its host is trusted besides Slack's own. */
  apiUrl: string;
}

/**
 * Downloads a file's `url_private_download` with the bot token, refusing hosts that are not Slack's
 * (the token must never go elsewhere) and bodies over `maxBytes`.
 */
export async function downloadSlackFile(
  url: string,
  name: string,
  maxBytes: number,
  access: SlackFileAccess,
): Promise<Uint8Array> {
  const target = trustedUrl(url, access.apiUrl);
  if (target === null) {
    throw new MnemosError(
      'forbidden',
      `slack: file ${name} is not on a Slack host; not downloaded`,
      {
        details: { name },
      },
    );
  }
  let response: Response;
  try {
    response = await fetch(target, { headers: { authorization: `Bearer ${access.botToken}` } });
  } catch (error) {
    throw new MnemosError('upstream_error', `slack: file ${name} could not be downloaded`, {
      category: 'upstream',
      cause: error,
    });
  }
  const fail = (why: string): never => {
    void response.body?.cancel().catch(() => undefined);
    throw new MnemosError('upstream_error', `slack: file ${name}: ${why}`, {
      category: 'upstream',
    });
  };
  if (!response.ok || response.body === null)
    return fail(`download answered HTTP ${response.status}`);
  // Without the files:read scope Slack answers a file URL with its sign-in page, not an error.
  if (
    (response.headers.get('content-type') ?? '').startsWith('text/html') &&
    !/\.html?$/iu.test(name)
  ) {
    return fail('Slack sent its sign-in page instead (does the app have the files:read scope?)');
  }
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(length) && length > maxBytes) {
    void response.body.cancel().catch(() => undefined);
    throw tooLarge(name, maxBytes);
  }
  const { bytes, truncated } = await readCapped(response.body, maxBytes);
  if (truncated) throw tooLarge(name, maxBytes);
  return new Uint8Array(bytes);
}

/** The URL when it is on Slack (https, `slack.com` or a subdomain) or on the configured API host. */
function trustedUrl(url: string, apiUrl: string): URL | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.username !== '' || parsed.password !== '') return null;
  if (parsed.host === new URL(apiUrl).host && parsed.protocol === new URL(apiUrl).protocol)
    return parsed;
  const slack = parsed.hostname === 'slack.com' || parsed.hostname.endsWith('.slack.com');
  return parsed.protocol === 'https:' && slack ? parsed : null;
}
