// Fails when an import in src/ runs back up the layers or when folders import each other in a cycle.
// Layers, bottom first; see docs/architecture.md. Test files are not checked.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Rank and group of each top folder of src/ (root files are listed by name). */
const layers = {
  core: [0, 'core'],
  text: [0, 'core'],
  spec: [1, 'spec'],
  config: [2, 'support'],
  redaction: [2, 'support'],
  jobs: [3, 'services'],
  memory: [3, 'services'],
  sessions: [3, 'services'],
  profile: [3, 'services'],
  keys: [3, 'services'],
  skills: [3, 'services'],
  usage: [3, 'services'],
  teams: [3, 'services'],
  agents: [3, 'services'],
  cron: [3, 'services'],
  messaging: [3, 'services'],
  storage: [3, 'adapters'],
  models: [3, 'adapters'],
  'mnemos.ts': [4, 'composition'],
  'doctor.ts': [4, 'composition'],
  agent: [5, 'runtime'],
  migration: [5, 'runtime'],
  scheduler: [5, 'runtime'],
  cli: [6, 'surfaces'],
  http: [6, 'surfaces'],
  mcp: [6, 'surfaces'],
  gateway: [6, 'surfaces'],
  client: [2, 'client'],
  'index.ts': [7, 'entry'],
};
/** Folders that may import only these top folders, whatever their rank (the client ships alone). */
const only = { client: ['core', 'client'] };

const root = path.resolve(process.argv[2] ?? 'src');
const files = [];
(function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) files.push(full);
  }
})(root);

const top = (file) => path.relative(root, file).split(path.sep)[0];
/** The node of the cycle check: a file's folder, or the file itself at the root. */
const node = (file) => {
  const rel = path.relative(root, file);
  return rel.includes(path.sep) ? path.dirname(rel) : rel;
};

const problems = [];
const edges = new Map();
const importPattern = /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/g;
for (const file of files) {
  const from = top(file);
  const rank = layers[from];
  if (!rank) problems.push(`${path.relative(root, file)}: folder ${from} has no layer in scripts/check-layers.mjs`);
  for (const match of readFileSync(file, 'utf8').matchAll(importPattern)) {
    const target = path.resolve(path.dirname(file), (match[1] ?? match[2]).replace(/\.js$/, '.ts'));
    const to = top(target);
    const where = `${path.relative(root, file)} imports ${path.relative(root, target)}`;
    if (to.startsWith('..')) {
      problems.push(`${where}: outside src`);
      continue;
    }
    if (node(file) !== node(target)) {
      if (!edges.has(node(file))) edges.set(node(file), new Map());
      edges.get(node(file)).set(node(target), where);
    }
    if (from === to || !rank || !layers[to]) continue;
    const [r1, g1] = rank;
    const [r2, g2] = layers[to];
    if (only[from] && !only[from].includes(to)) problems.push(`${where}: ${from} may import only ${only[from].join(', ')}`);
    else if (r2 > r1) problems.push(`${where}: ${g1} (layer ${r1}) imports ${g2} (layer ${r2})`);
    else if (r2 === r1 && g1 !== g2) problems.push(`${where}: ${g1} and ${g2} sit side by side and must not import each other`);
  }
}

// Tarjan's strongly connected components over folders: any component larger than one is a cycle.
let index = 0;
const stack = [];
const state = new Map();
function connect(v) {
  state.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of edges.get(v)?.keys() ?? []) {
    if (!state.has(w)) {
      connect(w);
      state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
    } else if (state.get(w).onStack) state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
  }
  if (state.get(v).low === state.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1) {
      const inside = new Set(component);
      const why = component.flatMap((a) =>
        [...(edges.get(a) ?? [])].filter(([b]) => inside.has(b)).map(([, where]) => `    ${where}`),
      );
      problems.push(`folders import each other in a cycle: ${component.sort().join(', ')}\n${why.join('\n')}`);
    }
  }
}
for (const v of edges.keys()) if (!state.has(v)) connect(v);

if (problems.length > 0) {
  console.error(`check:layers: ${problems.length} problem(s)\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`check:layers: ${files.length} files, ${[...edges.values()].reduce((n, m) => n + m.size, 0)} folder edges, no back-imports, no cycles`);
