import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Dataset, datasetsRoot, type Query, type Tenant, type Unit } from './dataset.js';

interface LocomoTurn {
  speaker: string;
  dia_id: string;
  text: string;
  blip_caption?: string;
}

interface LocomoSample {
  sample_id: string;
  conversation: Record<string, unknown>;
  qa: Array<{ question: string; evidence: string[]; category: number }>;
}

const categoryNames: Record<number, string> = {
  1: 'multi-hop',
  2: 'temporal',
  3: 'open-domain',
  4: 'single-hop',
};

/** Evidence strings may hold several ids ("D1:3; D1:5") or typos ("D:11:26", "D10:"); repairs them. */
export function evidenceIds(evidence: readonly string[]): string[] {
  const ids: string[] = [];
  for (const entry of evidence) {
    for (const match of entry.matchAll(/D\s*:?\s*(\d+)\s*:\s*(\d+)/gu)) {
      ids.push(`D${match[1]}:${match[2]}`);
    }
  }
  return ids;
}

/** LoCoMo dev: one tenant per conversation, each turn one unit "<session date> <speaker>: <text>". */
export function loadLocomo(): Dataset {
  const samples = JSON.parse(
    readFileSync(join(datasetsRoot, 'locomo', 'locomo-dev.json'), 'utf8'),
  ) as LocomoSample[];
  const tenants: Tenant[] = samples.map((sample) => {
    const units: Unit[] = [];
    const conversation = sample.conversation;
    for (let session = 1; Array.isArray(conversation[`session_${session}`]); session++) {
      const date = String(conversation[`session_${session}_date_time`] ?? '');
      for (const turn of conversation[`session_${session}`] as LocomoTurn[]) {
        units.push({
          id: turn.dia_id,
          text: `${date} ${turn.speaker}: ${turn.text}`,
          group: `session_${session}`,
        });
      }
    }
    const known = new Set(units.map((unit) => unit.id));
    const queries: Query[] = [];
    for (const qa of sample.qa) {
      const category = categoryNames[qa.category];
      if (!category) continue;
      const gold = new Set(evidenceIds(qa.evidence).filter((id) => known.has(id)));
      if (gold.size === 0) continue;
      queries.push({ category, text: qa.question, gold });
    }
    return { id: sample.sample_id, units, queries };
  });
  return { name: 'locomo', language: 'words', tenants };
}
