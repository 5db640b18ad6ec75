import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntities, htmlToText } from './html-to-text.js';
import type { ToolContext } from './tool.js';
import { guardedLookup, RefusedAddressError, webAddressPolicy } from './web-address-policy.js';
import { type WebFetchOptions, type WebFetchResult, webFetchTool } from './web-fetch.js';

const context: ToolContext = {
  signal: new AbortController().signal,
  sessionId: 's1',
  workspace: '/tmp',
};

const page = `<!doctype html><html><head><title>Mnemos &amp; Memory</title>
<style>body { color: red }</style><script>alert("no")</script></head>
<body><h1>Memory is the product</h1>
<p>First   paragraph,
   wrapped.</p><!-- hidden comment -->
<ul><li>one</li><li>two &lt;b&gt;</li></ul>
<p>See <a href="/docs?a=1&amp;b=2">the docs</a> and <a href="javascript:void(0)">nothing</a>.</p>
<pre>  indented
    code &gt; x</pre>
<noscript>enable js</noscript></body></html>`;

let server: Server;
let origin: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const url = request.url ?? '/';
    if (url === '/page') {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end(page);
    } else if (url === '/json') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    } else if (url === '/big') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.end('x'.repeat(50_000));
    } else if (url === '/binary') {
      response.writeHead(200, { 'content-type': 'image/png' });
      response.end(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1]));
    } else if (url === '/redirect') {
      response.writeHead(302, { location: '/json' });
      response.end();
    } else if (url.startsWith('/redirect-to?')) {
      response.writeHead(302, { location: new URLSearchParams(url.slice(13)).get('url') ?? '/' });
      response.end();
    } else if (url === '/loop') {
      response.writeHead(307, { location: '/loop' });
      response.end();
    } else if (url === '/latin1') {
      response.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' });
      response.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    } else if (url === '/slow') {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('partial');
    } else {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('not here');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** The test server is on loopback, so these tests open it explicitly. */
async function fetchUrl(url: string, options: WebFetchOptions = {}): Promise<WebFetchResult> {
  const tool = webFetchTool({ allowHosts: ['127.0.0.1'], ...options });
  return (await tool.execute({ url }, context)) as WebFetchResult;
}

describe('web_fetch', () => {
  it('converts HTML to readable text', async () => {
    const result = await fetchUrl(`${origin}/page`);
    expect(result.status).toBe(200);
    expect(result.contentType).toBe('text/html; charset=utf-8');
    expect(result.url).toBe(`${origin}/page`);
    expect(result.text).toBe(
      [
        'Mnemos & Memory',
        '',
        '# Memory is the product',
        '',
        'First paragraph,',
        'wrapped.',
        '',
        '- one',
        '- two <b>',
        '',
        `See [the docs](${origin}/docs?a=1&b=2) and nothing.`,
        '',
        '  indented\n    code > x',
      ].join('\n'),
    );
  });

  it('returns other text as is, follows redirects and reports statuses', async () => {
    expect(await fetchUrl(`${origin}/redirect`)).toEqual({
      url: `${origin}/json`,
      status: 200,
      contentType: 'application/json',
      text: '{"ok":true}',
    });
    const missing = await fetchUrl(`${origin}/missing`);
    expect(missing.status).toBe(404);
    expect(missing.text).toBe('not here');
  });

  it('decodes the declared charset', async () => {
    expect((await fetchUrl(`${origin}/latin1`)).text).toBe('café');
  });

  it('caps the body with a note', async () => {
    const result = await fetchUrl(`${origin}/big`, { maxBytes: 1000 });
    expect(result.text).toBe(
      `${'x'.repeat(1000)}\n[truncated: only the first 1000 bytes were read]`,
    );
  });

  it('does not show binary content', async () => {
    expect((await fetchUrl(`${origin}/binary`)).text).toBe(
      '[binary content (image/png, 8 bytes) not shown]',
    );
  });

  it.each([
    'file:///etc/passwd',
    'ftp://example.com/x',
    'data:text/plain,hi',
    'javascript:alert(1)',
  ])('refuses %s', async (url) => {
    await expect(fetchUrl(url)).rejects.toThrow(/only http and https URLs can be fetched/u);
  });

  it('refuses text that is not a URL', async () => {
    await expect(fetchUrl('not a url')).rejects.toThrow('invalid URL "not a url"');
  });

  it('reports a refused connection as possibly offline', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await expect(fetchUrl(`http://127.0.0.1:${port}/`)).rejects.toThrow(
      `could not reach host 127.0.0.1:${port} (connection refused): this machine may be offline`,
    );
  });

  it('reports a DNS failure as possibly offline', async () => {
    await expect(fetchUrl('https://no-such-host.invalid/')).rejects.toThrow(
      /^could not reach host no-such-host\.invalid \(DNS lookup failed, E\w+\): this machine may be offline$/u,
    );
  });

  it('reports a timeout, also in the middle of the body', async () => {
    const started = Date.now();
    await expect(fetchUrl(`${origin}/slow`, { timeoutMs: 300 })).rejects.toThrow(
      /could not reach host 127\.0\.0\.1:\d+ \(no complete answer within 0\.3 s\): this machine may be offline/u,
    );
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('stops when the turn is cancelled', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(
      webFetchTool({ allowHosts: ['127.0.0.1'] }).execute(
        { url: `${origin}/slow` },
        { ...context, signal: controller.signal },
      ),
    ).rejects.toThrow('fetch cancelled');
  });

  it('gives up after too many redirects', async () => {
    await expect(fetchUrl(`${origin}/loop`, { maxRedirects: 3 })).rejects.toThrow(
      /too many redirects \(more than 3\)/u,
    );
  });
});

describe('web_fetch address guard', () => {
  const port = (): string => new URL(origin).port;
  const refused = /^refused to fetch .+: .+ is an? .+ address/u;

  it.each([
    ['loopback', () => `http://127.0.0.1:${port()}/json`, /loopback/u],
    [
      'loopback by name, after DNS',
      () => `http://localhost:${port()}/json`,
      /resolves to .*loopback/u,
    ],
    ['IPv6 loopback', () => `http://[::1]:${port()}/json`, /loopback/u],
    [
      'IPv4-mapped IPv6 loopback',
      () => `http://[::ffff:127.0.0.1]:${port()}/`,
      /127\.0\.0\.1 is a loopback/u,
    ],
    ['decimal IPv4 loopback', () => 'http://2130706433/', /127\.0\.0\.1 is a loopback/u],
    ['cloud metadata', () => 'http://169.254.169.254/latest/meta-data/', /link-local/u],
    ['AWS IPv6 metadata', () => 'http://[fd00:ec2::254]/', /unique local/u],
    ['IPv6 link-local', () => 'http://[fe80::1]/', /link-local/u],
    ['RFC 1918', () => 'http://10.1.2.3/', /private/u],
    ['RFC 1918 (192.168)', () => 'https://192.168.0.1/', /private/u],
    ['CGNAT', () => 'http://100.64.0.1/', /carrier-grade NAT/u],
    ['unspecified', () => 'http://0.0.0.0/', /unspecified/u],
    ['multicast', () => 'http://224.0.0.1/', /multicast/u],
  ])('refuses %s', async (_name, url, why) => {
    const error = await webFetchTool()
      .execute({ url: url() }, context)
      .then(
        () => null,
        (caught: Error) => caught,
      );
    expect(error?.message).toMatch(refused);
    expect(error?.message).toMatch(why);
    expect(error?.message).toMatch(/agent\.web\.allow_hosts/u);
  });

  it('checks every redirect hop, not only the first URL', async () => {
    // Only the name localhost is opened; the hops lead to addresses nobody opened.
    const start = `http://localhost:${port()}/redirect-to?url=`;
    const open = { allowHosts: ['localhost'] };
    for (const [hop, why] of [
      [`http://127.0.0.1:${port()}/json`, /127\.0\.0\.1 is a loopback/u],
      ['http://169.254.169.254/latest/meta-data/', /link-local/u],
      [`http://[::1]:${port()}/json`, /loopback/u],
    ] as const) {
      const error = await webFetchTool(open)
        .execute({ url: `${start}${encodeURIComponent(hop)}` }, context)
        .then(
          () => null,
          (caught: Error) => caught,
        );
      expect(error?.message, hop).toMatch(why);
    }
    const followed = (await webFetchTool(open).execute(
      { url: `${start}${encodeURIComponent('/json')}` },
      context,
    )) as WebFetchResult;
    expect(followed.text).toBe('{"ok":true}');
  });

  it('opens hosts, IP literals and CIDR ranges named in allow_hosts', async () => {
    for (const allowHosts of [['localhost'], ['*.localhost', 'localhost'], ['127.0.0.0/8']]) {
      const result = (await webFetchTool({ allowHosts }).execute(
        { url: `http://localhost:${port()}/json` },
        context,
      )) as WebFetchResult;
      expect(result.text).toBe('{"ok":true}');
    }
    await expect(
      webFetchTool({ allowHosts: ['10.0.0.0/8'] }).execute(
        { url: `http://127.0.0.1:${port()}/json` },
        context,
      ),
    ).rejects.toThrow(/loopback/u);
  });

  it('classifies addresses: only public unicast passes', () => {
    const policy = webAddressPolicy();
    for (const address of ['93.184.216.34', '8.8.8.8', '2606:4700:4700::1111']) {
      expect(policy.refusal(address), address).toBeNull();
    }
    for (const address of [
      '127.0.0.1',
      '127.255.0.9',
      '10.0.0.1',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '100.64.0.1',
      '100.127.255.254',
      '169.254.169.254',
      '0.0.0.0',
      '255.255.255.255',
      '224.0.0.251',
      '::',
      '::1',
      'fe80::1',
      'fc00::1',
      'fd00:ec2::254',
      'ff02::1',
      '::ffff:10.0.0.1',
      '::ffff:169.254.169.254',
      '64:ff9b::a00:1',
      '2002:a00:1::',
    ]) {
      expect(policy.refusal(address), address).not.toBeNull();
    }
  });

  it('connects only to addresses it checked: the lookup itself refuses', async () => {
    const lookup = guardedLookup(webAddressPolicy());
    const error = await new Promise<unknown>((resolve) =>
      lookup('localhost', { all: true }, (caught) => resolve(caught)),
    );
    expect(error).toBeInstanceOf(RefusedAddressError);
    const allowed = guardedLookup(webAddressPolicy(['localhost']));
    const addresses = await new Promise<unknown>((resolve, reject) =>
      allowed('localhost', { all: true }, (caught, found) =>
        caught ? reject(caught) : resolve(found),
      ),
    );
    expect(addresses).toEqual(
      expect.arrayContaining([expect.objectContaining({ address: expect.any(String) })]),
    );
  });
});

describe('htmlToText', () => {
  it('decodes entities', () => {
    expect(decodeEntities('&lt;a&gt; &#233; &#x4e2d; &nbsp;&copy; &unknown; &#0;')).toBe(
      '<a> é 中  © &unknown; &#0;',
    );
  });

  it('keeps table cells apart and drops comments, scripts and forms controls', () => {
    const html =
      '<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table><select><option>x</option></select>';
    expect(htmlToText(html)).toBe('a b\n\n1 2');
  });

  it('leaves a lone < in text alone', () => {
    expect(htmlToText('<p>1 < 2 and 3 > 2</p>')).toBe('1 < 2 and 3 > 2');
  });
});
