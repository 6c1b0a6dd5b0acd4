// The engine's import graph, as figures: import circles between folders and files, imports that run up a floor
// (ARCHITECTURE.md section 2), and the largest source files. Usage: node scripts/import-graph.js [--json]
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { floors } from './floors.js';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');

function files(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...files(path));
    else if (/\.(ts|tsx|cts)$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

const sources = files(join(root, 'main'));
const known = new Set(sources.map((f) => relative(root, f)));
const edges = new Map();
for (const file of sources) {
  const from = relative(root, file);
  const text = readFileSync(file, 'utf8');
  const targets = new Set();
  // Type-only imports are edges too: a layer that names a higher layer's types still depends on it.
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'(\.[^']+)'/g)) {
    const target = relative(root, resolve(dirname(file), m[1].replace(/\.js$/, '.ts')));
    const candidates = [target, target.replace(/\.ts$/, '.tsx'), target.replace(/\.ts$/, '.cts')];
    const hit = candidates.find((c) => known.has(c));
    if (hit !== undefined) targets.add(hit);
  }
  edges.set(from, targets);
}

const folderOf = (f) => f.split('/')[1];

/** Strongly connected components (Tarjan): each with more than one member is an import circle. */
function circles(graph) {
  let index = 0;
  const stack = [];
  const on = new Set();
  const idx = new Map();
  const low = new Map();
  const out = [];
  const visit = (v) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v), low.get(w)));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v), idx.get(w)));
    }
    if (low.get(v) === idx.get(v)) {
      const scc = [];
      let w;
      do {
        w = stack.pop();
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const folderGraph = new Map();
for (const [from, targets] of edges) {
  const a = folderOf(from);
  if (!folderGraph.has(a)) folderGraph.set(a, new Set());
  for (const t of targets) if (folderOf(t) !== a) folderGraph.get(a).add(folderOf(t));
}

const upward = [];
for (const [from, targets] of edges)
  for (const t of targets) {
    const a = floors[folderOf(from)];
    const b = floors[folderOf(t)];
    if (a !== undefined && b !== undefined && b > a) upward.push(`${from} → ${t}`);
  }

const sizes = [...sources, ...files(join(root, 'renderer', 'src')), ...files(join(root, 'workers'))]
  .map((f) => ({ file: relative(root, f), lines: readFileSync(f, 'utf8').split('\n').length - 1 }))
  .sort((a, b) => b.lines - a.lines);

const report = {
  files: sources.length,
  fileCircles: circles(edges).length,
  folderCircles: circles(folderGraph),
  upwardImports: upward.length,
  unplacedFolders: [...new Set(sources.map((f) => folderOf(relative(root, f))))].filter(
    (f) => !(f in floors) && !f.endsWith('.ts'),
  ),
  over600: sizes.filter((s) => s.lines >= 600),
  largest: sizes[0],
};
if (process.argv.includes('--json')) console.log(JSON.stringify({ ...report, upward }));
else {
  console.log(`engine files: ${report.files}`);
  console.log(`import circles between files: ${report.fileCircles}`);
  console.log(`import circles between folders: ${report.folderCircles.length} ${JSON.stringify(report.folderCircles)}`);
  console.log(`imports running up a floor: ${report.upwardImports}`);
  for (const u of upward.slice(0, 60)) console.log(`  ${u}`);
  console.log(`folders with no floor yet: ${report.unplacedFolders.join(', ') || 'none'}`);
  console.log(`source files of 600 lines or more: ${report.over600.map((s) => `${s.file} (${s.lines})`).join(', ')}`);
}
