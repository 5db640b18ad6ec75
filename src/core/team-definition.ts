import { z } from 'zod';
import {
  agentLimitsSchema,
  agentModelSchema,
  agentToolSchema,
  definitionNameSchema,
} from './agent-definition.js';

/**
 * One member of a team, by role. `agent` names an agent definition to start from; the other fields
 * (as in an agent definition) override it, or define the member inline.
 */
export const teamMemberSchema = z
  .object({
    role: definitionNameSchema,
    agent: definitionNameSchema.optional(),
    description: z.string().max(1_024).optional(),
    llm: agentModelSchema.optional(),
    system_prompt: z.string().min(1).max(32_768).optional(),
    tools: z.array(agentToolSchema).max(64).optional(),
    max_iter: z.number().int().min(1).max(100).optional(),
    limits: agentLimitsSchema.optional(),
  })
  .strict();

/** A critic that reviews one step's output and ends the run early once it approves. */
export const teamCriticSchema = z
  .object({
    /** The critic's role (a member of the team). */
    role: definitionNameSchema,
    /** The step it reviews; a rejected output is redone with the critique, up to `max_rounds`. */
    reviews: definitionNameSchema,
    /** Text in the critic's answer that means approval. */
    approve_marker: z.string().min(1).max(64).default('APPROVED'),
    max_rounds: z.number().int().min(1).max(10).default(2),
  })
  .strict();

/** Bounds of a whole team run, all steps together. */
export const teamLimitsSchema = z
  .object({
    /** Model steps of every member together. */
    max_turns: z.number().int().min(1).max(1_000).default(40),
    /** Input plus output tokens of every member together. */
    max_tokens: z.number().int().min(100).default(200_000),
    /** Wall time of the run. */
    timeout_ms: z.number().int().min(1_000).max(3_600_000).default(600_000),
    /** Wall time of one step. */
    step_timeout_ms: z.number().int().min(1_000).max(3_600_000).default(180_000),
    /** Steps running at once where the flow allows it. */
    max_parallel: z.number().int().min(1).max(16).default(3),
  })
  .strict();

/** A team as configuration: `teams/<name>.yaml` in the home. */
export const teamDefinitionSchema = z
  .object({
    name: definitionNameSchema,
    description: z.string().max(1_024).default(''),
    agents: z.array(teamMemberSchema).min(1).max(32),
    /**
     * Order of the steps by role: a chain `planner -> searcher -> writer`, or a DAG where brackets
     * run in parallel, `planner -> [searcher, critic] -> writer`. Default: the members in order.
     */
    flow: z.string().min(1).max(2_000).optional(),
    critic: teamCriticSchema.optional(),
    limits: teamLimitsSchema.prefault({}),
  })
  .strict();

/** A team definition as written. */
export type TeamDefinitionInput = z.input<typeof teamDefinitionSchema>;
/** A team definition, validated, defaults applied. */
export type TeamDefinition = z.output<typeof teamDefinitionSchema>;
/** One member of a team, validated. */
export type TeamMember = TeamDefinition['agents'][number];
