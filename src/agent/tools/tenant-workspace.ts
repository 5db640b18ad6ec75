import { createHash } from 'node:crypto';
import { chownSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Folder name of an (app, tenant) pair: a hash, so no name can climb out of its parent. */
export function tenantFolderName(appId: string, tenantId: string): string {
  return createHash('sha256').update(`${appId}\u0000${tenantId}`).digest('hex').slice(0, 32);
}

/** The curated notes folder of one (app, tenant) on an untrusted surface: `<home>/notes/<hash>`. */
export function tenantNotesDir(home: string, appId: string, tenantId: string): string {
  return join(home, 'notes', tenantFolderName(appId, tenantId));
}

/** Where the workspace of one (app, tenant) on an untrusted surface lives: `<home>/workspaces/<hash>`. */
export function tenantWorkspacePath(home: string, appId: string, tenantId: string): string {
  return join(home, 'workspaces', tenantFolderName(appId, tenantId));
}

/**
 * Creates a tenant workspace (and `workspaces/`) private (0700) and, when `owner` is given, owned
 * by the sandbox user that runs its commands; returns the folder.
 */
export function createTenantWorkspace(
  folder: string,
  owner?: { uid: number; gid: number },
): string {
  mkdirSync(dirname(folder), { recursive: true, mode: 0o700 });
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  if (owner) chownSync(folder, owner.uid, owner.gid);
  return folder;
}
