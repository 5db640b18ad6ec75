import type { ModelMessage } from 'ai';
import { describe, expect, it } from 'vitest';
import type { SessionMessage } from '../../core/session-record.js';
import { fromStored, toStored } from './stored-messages.js';

const at = '2026-04-01T09:00:00.000Z';

/** A stored message as the session service returns it. */
function row(seq: number, message: Partial<SessionMessage>): SessionMessage {
  return {
    id: `m${seq}`,
    sessionId: 's',
    seq,
    role: 'user',
    content: '',
    name: null,
    metadata: {},
    parts: [],
    createdAt: at,
    ...message,
  };
}

const turn: ModelMessage[] = [
  { role: 'user', content: 'read it' },
  {
    role: 'assistant',
    content: [
      { type: 'text', text: 'Reading.' },
      { type: 'tool-call', toolCallId: 'c1', toolName: 'read_file', input: { path: 'a.txt' } },
    ],
  },
  {
    role: 'tool',
    content: [
      {
        type: 'tool-result',
        toolCallId: 'c1',
        toolName: 'read_file',
        output: { type: 'text', value: 'x'.repeat(5_000) },
      },
      {
        type: 'tool-result',
        toolCallId: 'c2',
        toolName: 'memory_profile',
        output: { type: 'error-json', value: { error: 'boom' } as never },
      },
    ],
  },
  { role: 'assistant', content: 'Done.' },
];

describe('stored messages', () => {
  it('keeps tool calls and results in parts, a short preview in content, and rebuilds the same model messages', () => {
    const stored = turn.map((message) => toStored(message, at));
    expect(stored[1]).toMatchObject({ content: 'Reading.', parts: [{ toolCallId: 'c1' }] });
    expect(stored[1]!.metadata).toBeUndefined();
    expect(stored[2]!.parts).toEqual([
      {
        type: 'tool-result',
        toolCallId: 'c1',
        toolName: 'read_file',
        output: 'x'.repeat(5_000),
        isError: false,
      },
      {
        type: 'tool-result',
        toolCallId: 'c2',
        toolName: 'memory_profile',
        output: { error: 'boom' },
        isError: true,
      },
    ]);
    expect(stored[2]!.content.length).toBeLessThan(2_100);
    const rows = stored.map((message, index) =>
      row(index + 1, {
        role: message.role,
        content: message.content,
        parts: message.parts ?? [],
      }),
    );
    expect(fromStored(rows)).toEqual(turn);
  });

  it('reads tool parts of sessions stored before parts had a column (JSON in metadata)', () => {
    const calls = [{ type: 'tool-call', toolCallId: 'c1', toolName: 'todo', input: {} }];
    const results = [
      {
        type: 'tool-result',
        toolCallId: 'c1',
        toolName: 'todo',
        output: { type: 'json', value: { items: [] } },
      },
    ];
    const rebuilt = fromStored([
      row(1, { role: 'user', content: 'list?' }),
      row(2, { role: 'assistant', metadata: { tool_calls: JSON.stringify(calls) } }),
      row(3, {
        role: 'tool',
        content: 'todo: {"items":[]}',
        metadata: { tool_results: JSON.stringify(results) },
      }),
      row(4, { role: 'assistant', content: 'Empty.' }),
    ]);
    expect(rebuilt).toEqual([
      { role: 'user', content: 'list?' },
      { role: 'assistant', content: calls },
      { role: 'tool', content: results },
      { role: 'assistant', content: 'Empty.' },
    ]);
  });
});
