import type { AddMemoriesInput } from '../src/index.js';
import { tokenize } from '../src/index.js';
import { Prng } from './prng.js';
import { en, zh } from './words.js';

/** One synthetic memory, with the exact scope it is written to. */
export interface SyntheticMemory {
  text: string;
  agentId: string;
  runId: string;
  lang: 'en' | 'zh';
}

type Template = (r: Prng) => string;

const englishTemplates: Template[] = [
  (r) => `${r.pick(en.names)} prefers ${r.pick(en.drinks)} ${r.pick(en.times)}.`,
  (r) =>
    `${r.pick(en.names)}'s ${r.pick(en.relatives)} goes to ${r.pick(en.activities)} at the ${r.pick(en.places)} every ${r.pick(en.days)}.`,
  (r) =>
    `The user mentioned that ${r.pick(en.names)} moved to ${r.pick(en.cities)} in ${r.pick(en.months)} ${r.pick(en.reasons)}.`,
  (r) =>
    `Remember that ${r.pick(en.names)} is allergic to ${r.pick(en.foods)}, so avoid suggesting recipes with it.`,
  (r) =>
    `${r.pick(en.names)} is building ${r.pick(en.projects)} with ${r.pick(en.tech)} and wants ${r.pick(en.qualities)} answers.`,
  (r) =>
    `The meeting with ${r.pick(en.names)} about ${r.pick(en.topics)} moved to ${r.pick(en.days)} at ${1 + r.int(11)} ${r.chance(0.5) ? 'am' : 'pm'}.`,
  (r) =>
    `${r.pick(en.names)} bought a ${r.pick(en.adjectives)} ${r.pick(en.items)} for ${10 + r.int(990)} dollars at ${r.pick(en.stores)}.`,
  (r) =>
    `${r.pick(en.names)} plans to visit ${r.pick(en.cities)} in ${r.pick(en.months)} with their ${r.pick(en.relatives)}.`,
  (r) =>
    `${r.pick(en.names)} has ${r.pick(en.pets)}; the youngest one is called ${r.pick(en.petNames)}.`,
  (r) =>
    `User asked to be reminded about ${r.pick(en.topics)} every ${r.pick(en.days)} ${r.pick(en.times)}.`,
  (r) =>
    `${r.pick(en.names)} stopped drinking ${r.pick(en.drinks)} ${r.pick(en.reasons)} and switched to ${r.pick(en.drinks)}.`,
  (r) =>
    `When debugging ${r.pick(en.projects)}, ${r.pick(en.names)} likes to use ${r.pick(en.tech)} tooling and ${r.pick(en.qualities)} explanations.`,
];

const chineseTemplates: Template[] = [
  (r) => `${r.pick(zh.names)}喜欢在${r.pick(zh.times)}喝${r.pick(zh.drinks)}。`,
  (r) =>
    `${r.pick(zh.names)}的${r.pick(zh.relatives)}每${r.pick(zh.days)}在${r.pick(zh.places)}${r.pick(zh.activities)}。`,
  (r) =>
    `用户提到${r.pick(zh.names)}${r.pick(zh.months)}搬到了${r.pick(zh.cities)}，${r.pick(zh.reasons)}。`,
  (r) => `记住${r.pick(zh.names)}对${r.pick(zh.foods)}过敏，推荐菜谱时要避开。`,
  (r) =>
    `${r.pick(zh.names)}正在用${r.pick(en.tech)}开发${r.pick(zh.projects)}，希望回答${r.pick(zh.qualities)}一些。`,
  (r) =>
    `和${r.pick(zh.names)}关于${r.pick(zh.topics)}的会议改到了${r.pick(zh.days)}下午${1 + r.int(6)}点。`,
  (r) =>
    `${r.pick(zh.names)}花了${100 + r.int(9900)}元买了一台${r.pick(zh.items)}，${r.pick(zh.reasons)}。`,
  (r) =>
    `${r.pick(zh.names)}打算${r.pick(zh.months)}和${r.pick(zh.relatives)}一起去${r.pick(zh.cities)}旅行。`,
  (r) => `${r.pick(zh.names)}家里养了${r.pick(zh.pets)}，每天${r.pick(zh.times)}出去散步。`,
  (r) => `用户希望每${r.pick(zh.days)}${r.pick(zh.times)}提醒一下${r.pick(zh.topics)}的进展。`,
];

const agents = ['assistant', 'planner', 'coach'];
const runLength = 20;

function nearDuplicate(r: Prng, text: string, lang: 'en' | 'zh'): string {
  if (lang === 'zh')
    return r.chance(0.5) ? text.replace(/。$/u, '！') : `${text.replace(/。$/u, '')}，这点很重要。`;
  const edits = [
    (t: string) => t.replace(/\.$/u, '!'),
    (t: string) => `Note: ${t}`,
    (t: string) => t.replace(/\.$/u, ', as noted before.'),
    (t: string) => t.toLowerCase(),
  ];
  return r.pick(edits)(text);
}

/**
 * Deterministic synthetic memories: about 70 % English and 30 % Chinese template sentences, in runs
 * of 20 per (agent, run) scope, with about 1.5 % near-duplicates of a recent memory in the same run.
 */
export function syntheticMemories(count: number, seed: number): SyntheticMemory[] {
  const r = new Prng(seed);
  const out: SyntheticMemory[] = [];
  let run: SyntheticMemory[] = [];
  for (let index = 0; index < count; index++) {
    const runNumber = Math.floor(index / runLength);
    if (index % runLength === 0) run = [];
    const agentId = agents[runNumber % agents.length]!;
    const runId = `run-${seed}-${runNumber}`;
    let memory: SyntheticMemory;
    if (run.length > 0 && r.chance(0.015)) {
      const original = r.pick(run);
      memory = { ...original, text: nearDuplicate(r, original.text, original.lang) };
    } else {
      const lang = r.chance(0.7) ? 'en' : 'zh';
      const text = r.pick(lang === 'en' ? englishTemplates : chineseTemplates)(r);
      memory = { text, agentId, runId, lang };
    }
    run.push(memory);
    out.push(memory);
  }
  return out;
}

/** Add requests for synthetic memories in one tenant. */
export function addInputs(
  memories: readonly SyntheticMemory[],
  tenant: { appId: string; tenantId: string },
): AddMemoriesInput[] {
  return memories.map((memory) => ({
    scope: { ...tenant, agentId: memory.agentId, runId: memory.runId },
    text: memory.text,
    metadata: { lang: memory.lang },
  }));
}

const englishStop = new Set([
  'the',
  'a',
  'an',
  'to',
  'at',
  'in',
  'is',
  'and',
  'with',
  'for',
  'of',
  'so',
  'it',
  'that',
  'their',
  'every',
  'on',
  'about',
  'has',
  'one',
  'user',
  'be',
]);
const questionPrefixes = ['what does', 'when is', 'where does', 'remind me about', ''];

/**
 * Queries drawn from the corpus vocabulary: two to four content words of a random memory, about
 * 70 % English (sometimes phrased as a question) and 30 % Chinese (words run together, no spaces);
 * one-character words (mostly Chinese particles) are left out.
 */
export function syntheticQueries(
  memories: readonly SyntheticMemory[],
  count: number,
  seed: number,
): string[] {
  const r = new Prng(seed);
  const queries: string[] = [];
  while (queries.length < count) {
    const memory = r.pick(memories);
    const words = tokenize(memory.text).filter(
      (word) => word.length > 1 && !englishStop.has(word) && !/^\d+$/u.test(word),
    );
    if (words.length < 2) continue;
    const chosen = new Set<string>();
    const want = 2 + r.int(3);
    for (let tries = 0; chosen.size < Math.min(want, words.length) && tries < 20; tries++)
      chosen.add(r.pick(words));
    const terms = [...chosen];
    queries.push(
      memory.lang === 'zh'
        ? terms.join('')
        : `${r.pick(questionPrefixes)} ${terms.join(' ')}`.trim(),
    );
  }
  return queries;
}
