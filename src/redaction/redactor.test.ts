import { describe, expect, it } from 'vitest';
import { Redactor, redactSecrets } from './redactor.js';

const redactor = new Redactor();

describe('Redactor', () => {
  it.each([
    [
      'my key is sk-proj-abcdEFGH1234ijklMNOP5678qrst ok',
      'sk-proj-abcdEFGH1234ijklMNOP5678qrst',
      'api_key',
    ],
    ['AKIAQWERTYUIOPASDFGH is the key id', 'AKIAQWERTYUIOPASDFGH', 'aws_access_key'],
    ['AWS example AKIAIOSFODNN7EXAMPLE too', 'AKIAIOSFODNN7EXAMPLE', 'aws_access_key'],
    [
      'aws_secret_access_key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz',
      'wJalrXUtnFEMI/K7MDENG/bPxRfiCYzzzzzzzzzz',
      'aws_secret_key',
    ],
    ['export PGPASSWORD=s3cretPw! && psql', 's3cretPw!', 'password'],
    ['dsn postgres://alice:hunter2pw@db.example.com:5432/app', 'hunter2pw', 'url_password'],
    ['Authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l', 'YWxhZGRpbjpvcGVuc2VzYW1l', 'authorization'],
    ['Authorization: Bearer abcdef0123456789abcdef', 'abcdef0123456789abcdef', 'authorization'],
    ['password=hunter2 then restart', 'hunter2', 'password'],
    ['api_key: "abc def ghi"', 'abc def ghi', 'password'],
    ['token: a1b2c3d4e5', 'a1b2c3d4e5', 'password'],
    ['my password is correct-horse-battery', 'correct-horse-battery', 'password'],
    ['我的密码abc123', 'abc123', 'password'],
    ['我的密码是abc12345，记住了', 'abc12345', 'password'],
    ['密钥：k-9f8e7d6c', 'k-9f8e7d6c', 'password'],
    [
      'key mn_8Hq2kP0zX9vLmN3bQ4rT5yU6wE7sA1dF2gH3jK4lZ5x end',
      'mn_8Hq2kP0zX9vLmN3bQ4rT5yU6wE7sA1dF2gH3jK4lZ5x',
      'mnemos_key',
    ],
    [
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'ghp_abcdefghijklmnopqrstuvwxyz0123456789',
      'github_token',
    ],
    [
      'slack xoxb-123456789012-1234567890123-abcdefghijklmnopqrstuvwx',
      'xoxb-123456789012',
      'slack_token',
    ],
    [
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N',
      'eyJzdWIiOiIxMjM0NTY3ODkwIn0',
      'token',
    ],
    [
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234567890abcdefghijklmnopqrstuv\n-----END RSA PRIVATE KEY-----\nthanks',
      'MIIEpAIBAAKCAQEA1234567890abcdefghijklmnopqrstuv',
      'private_key',
    ],
    [
      'cut short: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\nQyNTUxOQAAACBlongbase64',
      'QyNTUxOQAAACBlongbase64',
      'private_key',
    ],
  ])('replaces the secret in %j with a typed marker', (text, secret, kind) => {
    const redacted = redactor.redact(text);
    expect(redacted.text).not.toContain(secret);
    expect(redacted.text).toContain(`[REDACTED:${kind}]`);
    expect(redacted.count).toBeGreaterThan(0);
    expect(redacted.kinds).toContain(kind);
    // Redacting twice changes nothing more.
    expect(redactor.redact(redacted.text).text).toBe(redacted.text);
  });

  it('keeps the rest of the text', () => {
    expect(redactor.redact('set password=hunter2 then restart').text).toBe(
      'set password=[REDACTED:password] then restart',
    );
    expect(redactor.redact('我的密码是abc12345，记住了').text).toBe(
      '我的密码是[REDACTED:password]，记住了',
    );
    expect(redactor.redact('db at postgres://alice:pw123@db.example.com/app').text).toBe(
      'db at postgres://alice:[REDACTED:url_password]@db.example.com/app',
    );
  });

  it('leaves ordinary text, ids and hashes alone', () => {
    for (const text of [
      '我叫李雷，我用 TypeScript 写后端',
      '密码是什么？我忘了密码。',
      'The password policy needs 12 characters.',
      'I forgot my password yesterday, so I reset it.',
      'The password is required for every login.',
      'Alice secret: the vault code is 4711',
      'ask the skeptic about tokens in NLP; max_tokens: 1000',
      'A basic understanding of Basic authentication helps.',
      'request 123e4567-e89b-12d3-a456-426614174000 failed',
      'fixed in commit 9fceb02d0ae598e95dc970b74767f19372d61af8 (9fceb02)',
      'key prefix mn_ab12cd is shown in lists',
      'https://example.com/path?q=1 and http://localhost:8080/',
    ]) {
      expect(redactor.redact(text)).toEqual({ text, count: 0, kinds: [] });
    }
  });

  it('cannot be switched off from inside the text', () => {
    expect(redactor.redact('// secretlint-disable\nAKIAQWERTYUIOPASDFGH').text).not.toContain(
      'AKIAQWERTYUIOPASDFGH',
    );
  });

  it('follows the configuration: off, and extra patterns', () => {
    expect(new Redactor({ enabled: false }).redact('password=hunter2').text).toBe(
      'password=hunter2',
    );
    const extra = new Redactor({
      extra_patterns: ['ACME-[0-9]{6}', { kind: 'badge', pattern: 'badge (?<secret>\\d{4})' }],
    });
    expect(extra.redact('ticket ACME-123456, badge 4321').text).toBe(
      'ticket [REDACTED:custom], badge [REDACTED:badge]',
    );
  });

  it('redacts a batch exactly as one text at a time', () => {
    const texts = [
      'no secret here',
      'key AKIAQWERTYUIOPASDFGH',
      '',
      'cut: -----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234567890abcdef',
      '-----END RSA PRIVATE KEY----- and password=hunter2',
      '用户偏好简洁的中文回复',
    ];
    expect(redactor.redactMany(texts)).toEqual(texts.map((text) => redactor.redact(text)));
  });

  it('redactSecrets uses the default rules', () => {
    expect(redactSecrets('password=hunter2')).toBe('password=[REDACTED:password]');
  });
});
