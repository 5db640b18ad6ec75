import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { ignoreReason, toInboundMessage } from './email-inbound.js';

const own = 'agent@example.test';

/** Parses a mail made of header lines and a body. */
function parse(headers: string[], body = 'hello'): ReturnType<typeof simpleParser> {
  return simpleParser([...headers, '', body, ''].join('\r\n'));
}

describe('ignoreReason', () => {
  it('lets a person through, also with Auto-Submitted: no', async () => {
    expect(ignoreReason(await parse(['From: Ada <ada@example.org>']), own)).toBeNull();
    expect(
      ignoreReason(await parse(['From: ada@example.org', 'Auto-Submitted: no']), own),
    ).toBeNull();
  });

  it('ignores the agent itself, in any case', async () => {
    expect(ignoreReason(await parse(['From: Agent <AGENT@example.test>']), own)).toBe(
      'own address',
    );
  });

  it('ignores automatic mail', async () => {
    for (const header of [
      'Auto-Submitted: auto-replied',
      'Auto-Submitted: auto-generated',
      'Precedence: bulk',
      'Precedence: List',
      'Precedence: junk',
      'X-Autoreply: yes',
      'X-Autorespond: on',
    ]) {
      expect(ignoreReason(await parse(['From: ada@example.org', header]), own), header).toBe(
        'auto-reply',
      );
    }
  });

  it('ignores bounces and delivery reports', async () => {
    expect(ignoreReason(await parse(['From: MAILER-DAEMON@example.org']), own)).toBe(
      'mailer daemon',
    );
    expect(ignoreReason(await parse(['From: postmaster@example.org']), own)).toBe('mailer daemon');
    const report = await parse(
      [
        'From: mail@example.org',
        'Content-Type: multipart/report; report-type=delivery-status; boundary="r"',
      ],
      '--r\r\nContent-Type: text/plain\r\n\r\nundeliverable\r\n--r--',
    );
    expect(ignoreReason(report, own)).toBe('mailer daemon');
  });

  it('ignores mail without a sender', async () => {
    expect(ignoreReason(await parse(['Subject: who?']), own)).toBe('no sender');
  });
});

describe('toInboundMessage', () => {
  it('takes the text of an HTML-only mail without its quoted history', async () => {
    const mail = await parse(
      ['From: ada@example.org', 'Message-ID: <h@example.org>', 'Content-Type: text/html'],
      '<p>Hello <b>there</b></p><div>On Mon, Agent wrote:</div><blockquote><p>old</p></blockquote>',
    );
    expect(toInboundMessage(mail, '<fallback@imap.invalid>')).toMatchObject({
      text: 'Hello there',
      threadId: '<h@example.org>',
    });
  });

  it('threads on In-Reply-To without References, and stands in for a missing Message-ID', async () => {
    const mail = await parse([
      'From: ada@example.org',
      'In-Reply-To: <parent@example.test>',
      'Subject: Re: x',
    ]);
    expect(toInboundMessage(mail, '<uid-1-7@imap.invalid>')).toMatchObject({
      messageId: '<uid-1-7@imap.invalid>',
      threadId: '<parent@example.test>',
      context: {
        subject: 'Re: x',
        messageId: '<uid-1-7@imap.invalid>',
        references: '',
        inReplyTo: '<parent@example.test>',
      },
    });
  });

  it('keeps non-ASCII senders, subjects and bodies', async () => {
    const mail = await parse(
      [
        'From: =?UTF-8?B?5bGx55Sw?= <Yamada@Example.JP>',
        'Subject: =?UTF-8?B?5LqI5a6a8J+Ohg==?=',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: 8bit',
      ],
      'こんにちは 🎉',
    );
    expect(toInboundMessage(mail, '<f@imap.invalid>')).toMatchObject({
      userId: 'yamada@example.jp',
      userName: '山田',
      text: 'こんにちは 🎉',
      context: { subject: '予定🎆' },
    });
  });
});
