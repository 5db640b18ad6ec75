import type { SingleBar } from 'cli-progress';
import { Command } from 'commander';
import type { ReembedStartInfo } from '../../memory/stores/reembed-service.js';
import { embedderSectionFor } from '../../models/parse-embedder-spec.js';
import { integer } from '../support/arguments.js';
import { globals, homeOf, withMnemos } from '../support/context.js';
import { printJson } from '../support/output.js';
import { progress } from './mem-transfer.js';

interface ReembedFlags {
  to: string;
  store?: string;
  batchSize: number;
  baseUrl?: string;
  apiKeyEnv?: string;
  dimensions?: number;
  force?: boolean;
}

/** `mnemos mem reembed`: moves a store to another embedder, resumable after an interruption. */
export function reembedCommand(): Command {
  return new Command('reembed')
    .description(
      'embed every memory of a store again with another embedder, in committed batches (a rerun resumes); --to other than config also sets config.yaml',
    )
    .option(
      '--to <spec>',
      'config (the embedder in config.yaml), builtin[:<dims>], openai-compatible:<model>, onnx:<model folder or HF id>',
      'config',
    )
    .option('--store <name>', 'memory store (default: config memory_store_name)')
    .option('--batch-size <n>', 'memories embedded and committed together', integer, 64)
    .option('--base-url <url>', 'openai-compatible endpoint (default: embedder.base_url)')
    .option('--api-key-env <name>', 'variable holding the API key (default: embedder.api_key_env)')
    .option('--dimensions <n>', 'vector length to ask for', integer)
    .option('--force', 're-embed even when the store already uses that embedder')
    .action(async (options: ReembedFlags, command: Command) => {
      const json = globals(command).json ?? false;
      const home = homeOf(command);
      const { configPath, loadDotenv, readRawConfig, validateConfig, writeRawConfig } =
        await import('../../config/config.js');
      const { createEmbedder } = await import('../../models/create-models.js');
      loadDotenv(home);
      const raw = readRawConfig(home);
      const configured =
        typeof raw.embedder === 'object' && raw.embedder !== null && !Array.isArray(raw.embedder)
          ? (raw.embedder as Record<string, unknown>)
          : undefined;
      const target = embedderSectionFor(options.to, configured, {
        baseUrl: options.baseUrl,
        apiKeyEnv: options.apiKeyEnv,
        dimensions: options.dimensions,
      });
      const config = validateConfig(
        { ...raw, embedder: target.section },
        target.fromConfig ? configPath(home) : `--to ${options.to}`,
      );
      // An unreachable embedder fails here (dimension probe) or on the first batch, with its own message.
      const embedder = await createEmbedder(config.embedder);
      await withMnemos(
        command,
        async (mnemos) => {
          let bar: SingleBar | null = null;
          let started: ReembedStartInfo | undefined;
          let nextLine = 0;
          const storeName = options.store ?? mnemos.config.memory_store_name;
          let result: Awaited<ReturnType<typeof mnemos.stores.reembed>>;
          try {
            result = await mnemos.stores.reembed(storeName, {
              batchSize: options.batchSize,
              force: options.force ?? false,
              onStart: (start) => {
                started = start;
                if (json) return;
                process.stderr.write(
                  start.resumed
                    ? `resuming the re-embedding of store ${start.store} to ${start.to} started ${start.startedAt}: ${start.staged} of ${start.total} memories already done\n`
                    : `re-embedding ${start.total} memories of store ${start.store}: ${start.from} -> ${start.to}\n`,
                );
                bar = progress(start.total, json, 're-embedding', 'memories');
                bar?.update(start.staged);
                nextLine = start.staged + Math.ceil(start.total / 10);
              },
              onProgress: ({ done, total }) => {
                if (json) return;
                if (bar) {
                  bar.setTotal(total);
                  bar.update(done);
                } else if (done >= nextLine || done === total) {
                  // No terminal: a line every tenth, for logs.
                  process.stderr.write(`re-embedded ${done}/${total}\n`);
                  nextLine = done + Math.ceil(total / 10);
                }
              },
            });
          } catch (error) {
            (bar as SingleBar | null)?.stop();
            if (started && !json)
              process.stderr.write(
                'staged vectors are kept: run the same command again to resume where it stopped\n',
              );
            throw error;
          }
          (bar as SingleBar | null)?.stop();
          let configWritten: string | null = null;
          if (!target.fromConfig) {
            writeRawConfig(home, { ...readRawConfig(home), embedder: target.section });
            configWritten = configPath(home);
          }
          const { changed, ...summary } = result;
          if (json) return printJson({ ...summary, changed, config: configWritten });
          if (!changed) {
            process.stdout.write(
              `store ${result.store} already uses ${result.to}; nothing to re-embed (--force re-embeds anyway)\n`,
            );
          } else {
            const resumed =
              result.resumedFrom === null
                ? ''
                : `, resumed after ${result.resumedFrom} already staged`;
            process.stdout.write(
              `re-embedded ${result.reembedded} memories of store ${result.store} with ${result.to} (${result.dimensions} dimensions) in ${result.seconds}s${resumed}; the store now holds ${result.total}\n`,
            );
          }
          if (configWritten)
            process.stdout.write(
              `set the embedder in ${configWritten} to ${JSON.stringify(target.section)}, so later commands use it\n`,
            );
        },
        { embedder, processJobs: false },
      );
    });
}
