import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { MnemosError } from '../../core/errors.js';
import type { MemoryManager } from '../providers/memory-manager.js';
import type { AgentTool } from '../tools/tool.js';
import {
  type ChildTask,
  type DelegationResult,
  runDelegatedTask,
  type SpawnChild,
} from './delegated-task.js';
import { DelegationBudget, type DelegationLimits } from './delegation-budget.js';

/** Tasks one `delegate_task` call may hold. */
export const maxDelegatedTasks = 5;

/** Toolsets a child never gets, whatever it asks for: it cannot delegate, remembers nothing, schedules nothing. */
export const parentOnlyToolsets: readonly string[] = ['delegation', 'memory', 'cron'];

const taskSchema = z
  .object({
    goal: z
      .string()
      .trim()
      .min(1)
      .max(4_000)
      .describe('what the child agent must do, as a self-contained instruction'),
    context: z
      .string()
      .max(20_000)
      .optional()
      .describe('everything the child needs to know: it sees nothing of this conversation'),
    toolsets: z
      .array(z.string().min(1))
      .max(32)
      .optional()
      .describe('toolsets the child may use, a subset of yours; default all of yours'),
  })
  .strict();

/** Arguments of `delegate_task`: one task (`goal`, …) or a batch (`tasks`). */
export const delegateToolSchema = z
  .object({
    ...taskSchema.partial().shape,
    tasks: z
      .array(taskSchema)
      .min(1)
      .max(maxDelegatedTasks)
      .optional()
      .describe(`up to ${maxDelegatedTasks} tasks run in parallel, instead of goal`),
  })
  .strict()
  .superRefine((args, context) => {
    if ((args.goal === undefined) === (args.tasks === undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['goal'],
        message: `give either goal (one task) or tasks (up to ${maxDelegatedTasks}), not both`,
      });
    }
    if (args.tasks && (args.context !== undefined || args.toolsets !== undefined)) {
      context.addIssue({
        code: 'custom',
        path: ['tasks'],
        message: 'with tasks, give context and toolsets inside each task',
      });
    }
  });

export type DelegateToolArgs = z.infer<typeof delegateToolSchema>;

/** What `delegate_task` is built from. */
export interface DelegateToolOptions {
  /** Config `agent.delegation`. */
  limits: DelegationLimits;
  /** The parent's toolsets: children get a subset of them. */
  toolsets: readonly string[];
  /** Builds a child agent (depth 1, memory off) with the given toolsets. */
  spawnChild: SpawnChild;
  /** The parent's memory: its providers hear of every delegated result (`onDelegation`). */
  memory: () => MemoryManager;
}

/**
 * The `delegate_task` tool: runs tasks in child agents with fresh context, each in its own session
 * under the parent's, a few at a time, each with a timeout, all of one parent turn within a shared
 * budget of steps and tokens. Only each child's final answer comes back.
 */
export function delegateTool(options: DelegateToolOptions): AgentTool<DelegateToolArgs> {
  const offered = options.toolsets.filter((name) => !parentOnlyToolsets.includes(name));
  let current: { turnId: string; budget: DelegationBudget } | null = null;
  const budgetFor = (turnId: string | undefined): DelegationBudget => {
    if (turnId === undefined) return new DelegationBudget(options.limits);
    if (current?.turnId !== turnId) {
      current = { turnId, budget: new DelegationBudget(options.limits) };
    }
    return current.budget;
  };
  return {
    name: 'delegate_task',
    toolset: 'delegation',
    description: [
      'Hands self-contained tasks to child agents that start with a fresh, empty context and work in parallel; use it for independent pieces of work (research, checks, separate files) whose details you do not need in your own context.',
      `Give goal (with context and toolsets) for one task, or tasks for up to ${maxDelegatedTasks}. A child sees only its goal and context, never this conversation, so put everything it needs in them.`,
      `Children may use your toolsets except ${parentOnlyToolsets.join(', ')} (available to them: ${offered.join(', ') || 'none'}); they cannot delegate further and remember nothing.`,
      `Each child has ${options.limits.maxIterations} model steps and ${Math.round(options.limits.timeoutMs / 1000)} s; all children of this turn share ${options.limits.maxIterationsTotal} steps and ${options.limits.maxTokensTotal} tokens.`,
      'You get, per task: goal, status (ok, failed, timeout, budget), text (the child’s answer), steps and tokens.',
    ].join('\n'),
    schema: delegateToolSchema,
    async execute(args, context): Promise<{ results: DelegationResult[] }> {
      const tasks = childTasks(args, offered, options.toolsets);
      const budget = budgetFor(context.turnId);
      const emit = context.emit ?? (() => {});
      const results = await Promise.all(
        tasks.map(async (task) => {
          const outcome = await runDelegatedTask(task, {
            taskId: randomUUID(),
            spawnChild: options.spawnChild,
            budget,
            parentSessionId: context.sessionId,
            signal: context.signal,
            emit,
          });
          if (outcome.text.trim() !== '') {
            await options.memory().onDelegation(task.goal, outcome.text);
          }
          return outcome;
        }),
      );
      return { results };
    },
  };
}

/** The tasks of a call with their toolsets; a `invalid_input` naming toolsets the parent lacks. */
function childTasks(
  args: DelegateToolArgs,
  offered: readonly string[],
  parent: readonly string[],
): ChildTask[] {
  const asked = args.tasks ?? [
    {
      goal: args.goal ?? '',
      ...(args.context !== undefined ? { context: args.context } : {}),
      ...(args.toolsets !== undefined ? { toolsets: args.toolsets } : {}),
    },
  ];
  const missing = new Set<string>();
  for (const task of asked) {
    for (const name of task.toolsets ?? []) if (!parent.includes(name)) missing.add(name);
  }
  if (missing.size > 0) {
    throw new MnemosError(
      'invalid_input',
      `delegate_task: toolsets ${[...missing].join(', ')} are not yours, so no child may have them; choose from ${offered.join(', ') || '(none)'}`,
    );
  }
  return asked.map((task) => ({
    goal: task.goal,
    ...(task.context !== undefined ? { context: task.context } : {}),
    // Asking for `delegation` or `memory` is no error: the child just never gets them.
    toolsets: task.toolsets
      ? [...new Set(task.toolsets.filter((name) => offered.includes(name)))]
      : [...offered],
  }));
}
