import { z } from 'zod';
import type { AgentTool } from './tool.js';

/** Progress of one todo item. */
export type TodoStatus = 'pending' | 'in_progress' | 'done';

/** One step of the agent's plan. */
export interface TodoItem {
  /** Per-session number, 1, 2, 3…; never reused within a session. */
  id: number;
  text: string;
  status: TodoStatus;
}

const maxItems = 100;
const maxTextChars = 500;

/**
 * The agent's todo lists, one per session, in memory only (lost on exit); shared by the `todo`
 * tool and whatever displays the plan, such as the REPL.
 */
export class TodoStore {
  private readonly sessions = new Map<string, { nextId: number; items: TodoItem[] }>();

  private session(sessionId: string): { nextId: number; items: TodoItem[] } {
    let state = this.sessions.get(sessionId);
    if (!state) {
      state = { nextId: 1, items: [] };
      this.sessions.set(sessionId, state);
    }
    return state;
  }

  private find(sessionId: string, id: number): TodoItem {
    const item = this.sessions.get(sessionId)?.items.find((candidate) => candidate.id === id);
    if (!item) throw new Error(`no todo item with id ${id}`);
    return item;
  }

  /** Copies of the session's items, in the order they were added. */
  list(sessionId: string): TodoItem[] {
    return (this.sessions.get(sessionId)?.items ?? []).map((item) => ({ ...item }));
  }

  add(sessionId: string, text: string): TodoItem {
    const state = this.session(sessionId);
    if (state.items.length >= maxItems) {
      throw new Error(`the todo list is full (${maxItems} items); remove finished items first`);
    }
    const item: TodoItem = { id: state.nextId, text: text.trim(), status: 'pending' };
    state.nextId += 1;
    state.items.push(item);
    return { ...item };
  }

  update(sessionId: string, id: number, change: { status?: TodoStatus; text?: string }): TodoItem {
    const item = this.find(sessionId, id);
    if (change.status !== undefined) item.status = change.status;
    if (change.text !== undefined) item.text = change.text.trim();
    return { ...item };
  }

  remove(sessionId: string, id: number): void {
    this.find(sessionId, id);
    const state = this.session(sessionId);
    state.items = state.items.filter((item) => item.id !== id);
  }

  /** Forgets a session's list, e.g. when the session ends. */
  clear(sessionId: string): void {
    this.sessions.delete(sessionId);
  }
}

const marks: Record<TodoStatus, string> = { pending: '[ ]', in_progress: '[~]', done: '[x]' };

/** Plain-text checklist of items, for a REPL. */
export function formatTodos(items: readonly TodoItem[]): string {
  if (items.length === 0) return '(no todo items)';
  return items.map((item) => `${marks[item.status]} ${item.id}. ${item.text}`).join('\n');
}

const schema = z.object({
  action: z.enum(['add', 'update', 'remove', 'list']).describe('What to do with the list.'),
  text: z
    .string()
    .min(1)
    .max(maxTextChars)
    .optional()
    .describe('Item text: required for add, optional for update.'),
  id: z.number().int().min(1).optional().describe('Item id: required for update and remove.'),
  status: z.enum(['pending', 'in_progress', 'done']).optional().describe('New status, for update.'),
});

/** `todo`: the model's plan for the session; every call returns the whole current list. */
export function todoTool(store: TodoStore): AgentTool<z.infer<typeof schema>> {
  return {
    name: 'todo',
    description:
      'Keep a todo list for multi-step work in this session. Actions: add (text), update (id, status pending|in_progress|done, optional text), remove (id), list. Returns the whole list.',
    toolset: 'todo',
    schema,
    async execute(args, context) {
      const session = context.sessionId;
      const needId = (): number => {
        if (args.id === undefined) throw new Error(`${args.action} needs the item's id`);
        return args.id;
      };
      if (args.action === 'add') {
        if (args.text === undefined || args.text.trim() === '') throw new Error('add needs text');
        store.add(session, args.text);
      } else if (args.action === 'update') {
        const id = needId();
        if (args.status === undefined && args.text === undefined) {
          throw new Error('update needs a status or a text');
        }
        if (args.text?.trim() === '') throw new Error('the text cannot be blank');
        store.update(session, id, { status: args.status, text: args.text });
      } else if (args.action === 'remove') {
        store.remove(session, needId());
      }
      return { items: store.list(session) };
    },
  };
}
