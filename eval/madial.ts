import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Dataset, datasetsRoot, type Query, type Tenant } from './dataset.js';

interface MemoryEntry {
  scene: string;
  emotion: string;
  event: string;
  'user-id'?: number;
}

interface DialogueEntry {
  dialogue: string[];
  'test-turn': number[];
  'relevant-id': number[];
  'user-id': number;
}

function jsonLines<T>(path: string): T[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

function memoryPool(language: 'zh' | 'en'): Map<string, MemoryEntry> {
  const pool = new Map<string, MemoryEntry>();
  for (const line of jsonLines<Record<string, MemoryEntry>>(
    join(datasetsRoot, 'madial-bench', language, `MADial-Bench-${language}-memory.json`),
  )) {
    for (const [id, entry] of Object.entries(line)) pool.set(id, entry);
  }
  return pool;
}

/**
 * MADial-Bench dev: per dialogue, the candidates are the memories of its user (text = `scene emotion
 * event`), the query is the dialogue before the first test turn, the gold is `relevant-id`.
 * The en memories carry no user id; the zh pool (same ids) supplies it.
 */
export function loadMadial(language: 'zh' | 'en'): Dataset {
  const pool = memoryPool(language);
  const owners = language === 'zh' ? pool : memoryPool('zh');
  const dialogues = jsonLines<DialogueEntry>(
    join(datasetsRoot, 'madial-bench', language, `MADial-Bench-${language}-dialogue-dev.json`),
  );
  const byUser = new Map<number, Tenant>();
  for (const [id, entry] of pool) {
    const user = owners.get(id)?.['user-id'];
    if (user === undefined) continue;
    let tenant = byUser.get(user);
    if (!tenant) {
      tenant = { id: `user-${user}`, units: [], queries: [] };
      byUser.set(user, tenant);
    }
    tenant.units.push({ id, text: `${entry.scene} ${entry.emotion} ${entry.event}` });
  }
  for (const dialogue of dialogues) {
    const tenant = byUser.get(dialogue['user-id']);
    if (!tenant) continue;
    const firstTest = Math.min(...dialogue['test-turn']);
    const text = dialogue.dialogue
      .slice(0, firstTest)
      .filter((line) => !/^<[BE]OD>\s*$/u.test(line))
      .map((line) => line.trim())
      .join('\n');
    const known = new Set(tenant.units.map((unit) => unit.id));
    const gold = new Set(dialogue['relevant-id'].map(String).filter((id) => known.has(id)));
    if (gold.size === 0) continue;
    const query: Query = { category: 'all', text, gold };
    tenant.queries.push(query);
  }
  return {
    name: `madial-${language}`,
    language: language === 'zh' ? 'cjk' : 'words',
    tenants: [...byUser.values()].filter((tenant) => tenant.queries.length > 0),
  };
}
