import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openInWorkspace, resolveInWorkspace, withoutMountPoint } from './workspace-path.js';

let base: string;
let workspace: string;
let outside: string;

beforeEach(() => {
  base = mkdtempSync(path.join(tmpdir(), 'mnemos-wspath-'));
  workspace = path.join(base, 'workspace');
  outside = path.join(base, 'outside');
  mkdirSync(path.join(workspace, 'dir'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(path.join(workspace, 'dir', 'file.txt'), 'inside');
  writeFileSync(path.join(outside, 'file.txt'), 'SECRET');
});

afterEach(() => rmSync(base, { recursive: true, force: true }));

describe('resolveInWorkspace', () => {
  it.each(['../outside/file.txt', '../../', '/etc/passwd', 'dir/../../outside/file.txt'])(
    'refuses %s',
    async (requested) => {
      await expect(resolveInWorkspace(workspace, requested)).rejects.toThrow(
        /is outside the workspace/u,
      );
    },
  );

  it('refuses a symlink that leads out', async () => {
    symlinkSync(path.join(outside, 'file.txt'), path.join(workspace, 'link'));
    await expect(resolveInWorkspace(workspace, 'link')).rejects.toThrow(/outside the workspace/u);
  });
});

describe('openInWorkspace', () => {
  it('opens a checked file', async () => {
    const target = await resolveInWorkspace(workspace, 'dir/file.txt');
    const handle = await openInWorkspace(target, 'dir/file.txt');
    expect((await handle.readFile('utf8')).toString()).toBe('inside');
    await handle.close();
  });

  it('refuses when the file became a symlink after the check', async () => {
    const target = await resolveInWorkspace(workspace, 'dir/file.txt');
    rmSync(target.real);
    symlinkSync(path.join(outside, 'file.txt'), target.real);
    await expect(openInWorkspace(target, 'dir/file.txt')).rejects.toThrow(/symlink/u);
  });

  it('refuses when a folder on the way became a symlink after the check', async () => {
    const target = await resolveInWorkspace(workspace, 'dir/file.txt');
    rmSync(path.join(workspace, 'dir'), { recursive: true });
    symlinkSync(outside, path.join(workspace, 'dir'));
    await expect(openInWorkspace(target, 'dir/file.txt')).rejects.toThrow(
      /dir\/file\.txt is outside the workspace/u,
    );
  });
});

describe('withoutMountPoint', () => {
  it('reads the sandbox path of the workspace as the workspace, and nothing else', async () => {
    expect(withoutMountPoint('/workspace/dir/file.txt', '/workspace')).toBe('./dir/file.txt');
    expect(withoutMountPoint('/workspace', '/workspace')).toBe('.');
    expect(withoutMountPoint('/workspaces/x', '/workspace')).toBe('/workspaces/x');
    expect(withoutMountPoint('/workspace/file.txt', undefined)).toBe('/workspace/file.txt');
    const climbing = withoutMountPoint('/workspace/../outside/file.txt', '/workspace');
    await expect(resolveInWorkspace(workspace, climbing)).rejects.toThrow(/outside the workspace/u);
    const inside = await resolveInWorkspace(
      workspace,
      withoutMountPoint('/workspace/dir/file.txt', '/workspace'),
    );
    expect(inside.display).toBe('dir/file.txt');
  });
});
