import { join } from 'node:path';
import type { TenantKey } from '../core/scope.js';
import type { SkillStorage } from '../spec/storage.js';
import { DirectorySkills } from './directory-skills.js';
import { SkillManager } from './skill-manager.js';
import { TenantSkills } from './tenant-skills.js';

/** Where a local agent finds skills: the project's (optional) and the home's. */
export interface LocalSkillOptions {
  /** The project folder; its `.agents/skills` wins over the home's skills and is only read. */
  workspace?: string | undefined;
}

/** The skills of Mnemos: a tenant's in the database (servers), or the home's and the project's (local). */
export class SkillService {
  constructor(
    private readonly storage: SkillStorage,
    /** The Mnemos home; user skills live in `<home>/skills`. */
    readonly home: string,
  ) {}

  /** The skills of one (app, tenant), kept in the database so every replica shares them. */
  forTenant(tenant: TenantKey): SkillManager {
    return new SkillManager([
      new TenantSkills(this.storage, { appId: tenant.appId, tenantId: tenant.tenantId }),
    ]);
  }

  /** Local skills: `<workspace>/.agents/skills` (read-only, wins) then `<home>/skills` (writable). */
  local(options: LocalSkillOptions = {}): SkillManager {
    return localSkills(this.home, options);
  }
}

/** {@link SkillService.local} without an open engine (commands that touch only files). */
export function localSkills(home: string, options: LocalSkillOptions = {}): SkillManager {
  const places = [];
  if (options.workspace) {
    places.push(
      new DirectorySkills(join(options.workspace, '.agents', 'skills'), 'project', false),
    );
  }
  places.push(new DirectorySkills(userSkillsDir(home), 'user', true));
  return new SkillManager(places);
}

/** The folder of the home's skills. */
export function userSkillsDir(home: string): string {
  return join(home, 'skills');
}
