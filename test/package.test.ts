import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { childEnv } from './support/cli.js';

/**
 * The published package: `npm pack` holds what a user needs (dist, bin, LICENSE, README), and the
 * tarball unpacked into a fresh project runs as `mnemos` there. Its dependencies come from this
 * checkout's node_modules (links), so the test needs no registry and no network.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  bin: Record<string, string>;
  dependencies: Record<string, string>;
};
const npm = spawnSync('npm', ['--version'], { encoding: 'utf8' });
const npmMissing = npm.status !== 0;
if (npmMissing) console.warn(`skipping the package test: npm is not available (${npm.error})`);

const work = mkdtempSync(join(tmpdir(), 'mnemos-pack-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function run(command: string, args: string[], cwd: string, home: string) {
  return spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    env: childEnv(home, { npm_config_offline: 'true', npm_config_update_notifier: 'false' }),
    timeout: 60_000,
  });
}

describe.skipIf(npmMissing)('the npm package', () => {
  it('is named so `npx` cannot reach another package, and keeps the mnemos bin', () => {
    expect(manifest.name).toBe('mnemos-memory');
    expect(manifest.bin).toEqual({ mnemos: './bin/mnemos.js' });
    expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toMatch(
      /^MIT License\n\nCopyright \(c\) \d{4} Mnemos contributors/,
    );
  });

  it('packs dist, bin, LICENSE and README, and runs from a fresh project', () => {
    expect(existsSync(join(root, 'dist', 'cli', 'main.js')), 'run `npm run build` first').toBe(
      true,
    );
    // The build ran already; the package's `prepare` would only repeat it.
    const packed = JSON.parse(
      execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], {
        cwd: root,
        encoding: 'utf8',
      }),
    ) as Array<{ filename: string; files: Array<{ path: string }> }>;
    const files = packed[0]!.files.map((file) => file.path);
    for (const needed of [
      'LICENSE',
      'README.md',
      'package.json',
      'bin/mnemos.js',
      'dist/index.js',
      'dist/index.d.ts',
      'dist/cli/main.js',
      'dist/client/index.js',
    ])
      expect(files).toContain(needed);
    expect(files.filter((path) => /^(src|test|bench|scripts)\//.test(path))).toEqual([]);

    const project = join(work, 'project');
    const installed = join(project, 'node_modules', manifest.name);
    mkdirSync(installed, { recursive: true });
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({ name: 'uses-mnemos', version: '1.0.0', private: true, type: 'module' }),
    );
    execFileSync('tar', [
      '-xzf',
      join(work, packed[0]!.filename),
      '-C',
      installed,
      '--strip-components=1',
    ]);
    // What `npm install` does besides unpacking: the dependencies, and the bins of package.json.
    for (const dependency of Object.keys(manifest.dependencies)) {
      const link = join(project, 'node_modules', dependency);
      mkdirSync(join(link, '..'), { recursive: true });
      symlinkSync(join(root, 'node_modules', dependency), link);
    }
    const bins = join(project, 'node_modules', '.bin');
    mkdirSync(bins, { recursive: true });
    const installedManifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
    for (const [name, target] of Object.entries(installedManifest.bin as Record<string, string>))
      symlinkSync(relative(bins, join(installed, target)), join(bins, name));

    const home = join(work, 'home');
    const help = run('npx', ['--offline', 'mnemos', '--help'], project, home);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: mnemos/);
    const bin = join(bins, 'mnemos');
    const added = run(
      bin,
      ['mem', 'add', '--sync', '--json', 'Packed and installed'],
      project,
      home,
    );
    expect(added.status, added.stderr).toBe(0);
    expect(JSON.parse(added.stdout).status).toBe('succeeded');
    const found = run(bin, ['mem', 'search', 'installed', '--json'], project, home);
    expect(found.stdout).toContain('Packed and installed');
    // The library entry points resolve from the project by the package name.
    const imported = run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import('${manifest.name}'); const c = await import('${manifest.name}/client'); console.log(typeof m.Mnemos, typeof c.MnemosClient)`,
      ],
      project,
      home,
    );
    expect(imported.stdout.trim(), imported.stderr).toBe('function function');
  });
});
