import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEntities, htmlToText } from './html-to-text.js';
import type { ToolContext } from './tool.js';
import { type WebFetchResult, webFetchTool } from './web-fetch.js';

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

async function fetchUrl(url: string, options = {}): Promise<WebFetchResult> {
  return (await webFetchTool(options).execute({ url }, context)) as WebFetchResult;
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
      webFetchTool().execute({ url: `${origin}/slow` }, { ...context, signal: controller.signal }),
    ).rejects.toThrow('fetch cancelled');
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
