import type { TenantKey } from '../core/scope.js';
import type { SkillRecord, SkillSummary, SkillVersionEntry } from '../core/skill-record.js';
import type { Page, SkillDeletion, SkillStorage, SkillWrite } from '../spec/storage.js';
import type { SkillRepository } from './skill-repository.js';

/** The skills of one (app, tenant) in the database: what a server's agents and `/v1/skills` use. */
export class TenantSkills implements SkillRepository {
  readonly source = 'tenant' as const;
  readonly location = 'database';
  readonly writable = true;

  constructor(
    private readonly storage: SkillStorage,
    private readonly tenant: TenantKey,
    private readonly clock: () => number = Date.now,
  ) {}

  list(options?: { includeArchived?: boolean }): Promise<SkillSummary[]> {
    return this.storage.list(this.tenant, options);
  }

  get(name: string): Promise<SkillRecord | null> {
    return this.storage.get(this.tenant, name);
  }

  save(write: SkillWrite): Promise<SkillRecord> {
    return this.storage.save(this.tenant, write, this.clock());
  }

  delete(name: string, deletion: SkillDeletion): Promise<boolean> {
    return this.storage.delete(this.tenant, name, deletion, this.clock());
  }

  history(name: string, page: Page): Promise<SkillVersionEntry[]> {
    return this.storage.history(this.tenant, name, page);
  }

  version(name: string, version: number): Promise<SkillVersionEntry | null> {
    return this.storage.version(this.tenant, name, version);
  }

  markUsed(name: string): Promise<void> {
    return this.storage.markUsed(this.tenant, name, this.clock());
  }

  warnings(): string[] {
    return [];
  }
}
