import { describe, expect, it } from 'vitest';
import { redactSecrets } from './redact.js';

describe('redactSecrets', () => {
  it.each([
    ['my key is sk-proj-abcdefghijklmnop1234567890', 'sk-proj-abcdefghijklmnop1234567890'],
    ['use sk-ant-api03-AbCdEfGhIjKlMnOp_QrSt for Claude', 'sk-ant-api03-AbCdEfGhIjKlMnOp_QrSt'],
    ['AWS AKIAIOSFODNN7EXAMPLE works', 'AKIAIOSFODNN7EXAMPLE'],
    ['token ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789'],
    ['Authorization: Bearer abcdef0123456789abcdef', 'abcdef0123456789abcdef'],
    ['password=hunter2!', 'hunter2!'],
    ['my password is correct-horse-battery', 'correct-horse-battery'],
    ['数据库密码是Abc123456', 'Abc123456'],
    ['密钥：k-9f8e7d6c', 'k-9f8e7d6c'],
    [
      'jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N',
      'eyJhbGciOiJIUzI1NiJ9',
    ],
    [
      '-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----',
      'MIIEpAIBAAKCAQEA',
    ],
  ])('removes the secret in %j', (text, secret) => {
    const redacted = redactSecrets(text);
    expect(redacted).not.toContain(secret);
    expect(redacted).toContain('[REDACTED');
  });

  it('keeps the sentence around a key=value secret readable', () => {
    expect(redactSecrets('set password=hunter2 then restart')).toBe(
      'set password=[REDACTED secret] then restart',
    );
    expect(redactSecrets('我的密码是abc12345，记住了')).toBe('我的密码是[REDACTED secret]，记住了');
  });

  it('leaves ordinary text alone', () => {
    for (const text of [
      '我叫李雷，我用 TypeScript 写后端',
      'The password policy needs 12 characters.',
      'ask the skeptic about tokens in NLP',
    ]) {
      expect(redactSecrets(text)).toBe(text);
    }
  });
});
