import { randomUUID } from 'node:crypto';
import type { AgentDefinition } from '../core/agent-definition.js';
import { MnemosError } from '../core/errors.js';
import type { TenantKey } from '../core/scope.js';
import type { TeamRunRecord } from '../core/team-run-record.js';
import type { TeamRunStorage } from '../spec/storage.js';
import { homeTeams, requireHomeTeam, type TeamEntry } from './home-teams.js';
import { readTeamFile, type TeamFile } from './team-file.js';
import { type NumberedTeamEvent, runTeam, type TeamAgentFactory } from './team-runner.js';

/** Finds the agent definition a member names, as the tenant sees it. */
export type ResolveTenantAgent = (scope: TenantKey, name: string) => Promise<AgentDefinition>;

/** How one run is carried out and watched. */
export interface TeamRunRequest {
  /** Builds each step's agent (the surface decides: trusted locally, untrusted over HTTP). */
  agents: TeamAgentFactory;
  onEvent?: (event: NumberedTeamEvent) => void | Promise<void>;
  signal?: AbortSignal;
  /** The run's id, when the caller must know it before the run starts. */
  runId?: string;
}

/**
 * How long after its start a run still `running` is surely dead: the longest `limits.timeout_ms`
 * a team may have (one hour), plus time for its steps to wind down.
 */
export const staleRunMs = 3_600_000 + 5 * 60_000;

/** Longest team input, characters. */
export const maxTeamInput = 64_000;

/** Teams of the home (`<home>/teams/*.yaml`) and their stored runs of each (app, tenant). */
export class TeamService {
  constructor(
    private readonly storage: TeamRunStorage,
    /** The Mnemos home. */
    readonly home: string,
    private readonly options: {
      /** Resolves a member's `agent`; the agent catalog. */
      resolveAgent: ResolveTenantAgent;
      /** Model steps of a member that names no `max_iter` (config `agent.max_iterations`). */
      defaultMaxIter: number;
    },
  ) {}

  /** The home's team files by name, broken ones with their error. */
  list(): TeamEntry[] {
    return homeTeams(this.home);
  }

  /** A team by name, or null when there is no such file. */
  get(name: string): TeamFile | null {
    return this.list().some((entry) => entry.name === name) ? this.require(name) : null;
  }

  /** A team by name; `not_found` lists the known ones, a broken file fails with its error. */
  require(name: string): TeamFile {
    return requireHomeTeam(this.home, name);
  }

  /** Reads and checks a team file anywhere. */
  validate(path: string): TeamFile {
    return readTeamFile(path);
  }

  /** The team a run of `name` on `input` would use; fails as `run` would before it starts. */
  check(name: string, input: string): TeamFile {
    if (input.trim() === '') throw new MnemosError('invalid_input', 'input: give the team a task');
    if (input.length > maxTeamInput) {
      throw new MnemosError(
        'limit_exceeded',
        `input: at most ${maxTeamInput} characters, got ${input.length}`,
        { details: { limit: maxTeamInput, actual: input.length } },
      );
    }
    return this.require(name);
  }

  /**
   * Runs a team on an input for a tenant, storing the run as it goes (created at the start,
   * rewritten after every step). Resolves with the finished run, whatever its status.
   */
  async run(
    scope: TenantKey,
    name: string,
    input: string,
    request: TeamRunRequest,
  ): Promise<TeamRunRecord> {
    const team = this.check(name, input);
    const tenant = { appId: scope.appId, tenantId: scope.tenantId };
    let created = false;
    return runTeam({
      team: team.definition,
      flow: team.flow,
      input,
      agents: request.agents,
      resolveAgent: (agent) => this.options.resolveAgent(tenant, agent),
      defaultMaxIter: this.options.defaultMaxIter,
      runId: request.runId ?? randomUUID(),
      ...(request.onEvent ? { onEvent: request.onEvent } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
      onRecord: async (record) => {
        if (created) await this.storage.update(tenant, record);
        else {
          await this.storage.create(tenant, record);
          created = true;
        }
      },
    });
  }

  /**
   * Marks runs left `running` by a process that died (started longer ago than any run may last)
   * as `failed`, reason `interrupted`. Returns how many.
   */
  async failInterrupted(now = Date.now()): Promise<number> {
    return this.storage.failStale(
      now - staleRunMs,
      'interrupted: the process running the team ended before the run did',
      now,
    );
  }

  /** A tenant's runs, newest first. */
  async runs(
    scope: TenantKey,
    options: { limit?: number; offset?: number; team?: string } = {},
  ): Promise<TeamRunRecord[]> {
    return this.storage.list(
      scope,
      { limit: options.limit ?? 50, offset: options.offset ?? 0 },
      options.team === undefined ? {} : { team: options.team },
    );
  }

  /** One run of the tenant; `not_found` when the tenant has none of that id. */
  async getRun(scope: TenantKey, id: string): Promise<TeamRunRecord> {
    const run = await this.storage.get(scope, id);
    if (!run) throw new MnemosError('not_found', `no team run ${id}`, { details: { id } });
    return run;
  }
}
