/**
 * The layers import one way: `config, db ← core ← cti ← {pbx, crm} ← web`, and `main.ts`, the
 * only composition root, imports whatever it wires. Each layer imports only layers to its left
 * (config and db only each other); pbx and crm never import each other; nothing imports web or
 * main.ts. No file takes part in an import cycle (type-only imports count too). Imports are read
 * with TypeScript's own pre-processor, so every form counts: static, type-only, re-exports and
 * dynamic `import()`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Left to right; a layer may import its own and those of a lower rank. */
const rank: Record<string, number> = {
  config: 0,
  db: 0,
  core: 1,
  cti: 2,
  pbx: 3,
  crm: 3,
  web: 4,
  'main.ts': 5,
};

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.tsx?$/.test(name)) out.push(relative(root, path));
  }
  return out;
}

/** Every file of the layers, with the files of the layers it imports. */
export function importGraph(): Map<string, string[]> {
  const files = Object.keys(rank)
    .filter((l) => l !== 'main.ts')
    .flatMap((l) => {
      try {
        return sourceFiles(join(root, l));
      } catch {
        return []; // a layer with nothing in it yet
      }
    });
  files.push('main.ts');
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
    graph.set(
      file,
      info.importedFiles
        .map((i) => i.fileName)
        .filter((f) => f.startsWith('.'))
        .map((f) => normalize(join(dirname(file), f))),
    );
  }
  return graph;
}

const layerOf = (file: string) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file);

export function layerViolations(graph: Map<string, string[]>): string[] {
  const out: string[] = [];
  for (const [file, imports] of graph)
    for (const target of imports) {
      const from = layerOf(file);
      const to = layerOf(target);
      if (from === to) continue;
      const sideways = (from === 'pbx' && to === 'crm') || (from === 'crm' && to === 'pbx');
      if (!(to in rank) || rank[to]! >= rank[from]! || sideways) out.push(`${file} → ${target}`);
    }
  return out;
}

/** Strongly connected groups of more than one file (Tarjan). */
export function importCycles(graph: Map<string, string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const group: string[] = [];
    for (;;) {
      const w = stack.pop()!;
      onStack.delete(w);
      group.push(w);
      if (w === v) break;
    }
    if (group.length > 1) cycles.push(group.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

const test = suite('layers');

test('every import goes left: config, db ← core ← cti ← {pbx, crm} ← web ← main.ts', () => {
  const graph = importGraph();
  assert.ok(graph.size > 100, `read ${graph.size} files`);
  assert.equal(layerViolations(graph), []);
});

test('no file takes part in an import cycle', () => {
  assert.equal(importCycles(importGraph()), []);
});

/** Files outside config/ that read a setting from the environment (handing it on whole to a child process is not reading). */
export function environmentReaders(graph: Map<string, string[]>): string[] {
  return [...graph.keys()].filter((file) => {
    if (layerOf(file) === 'config') return false;
    const text = readFileSync(join(root, file), 'utf8').replaceAll('...process.env', '');
    return /process\.env\b/.test(text);
  });
}

test('config/ is the only reader of process.env (settings are injected)', () => {
  assert.equal(environmentReaders(importGraph()), []);
});

test("web reads the floor through views, never the ACD's pool or queues", () => {
  const readers = [...importGraph().keys()].filter(
    (f) =>
      layerOf(f) === 'web' && /\.acd\b/.test(readFileSync(join(root, f), 'utf8').replace(/'[^'\n]*'/g, "''")),
  );
  assert.equal(readers, []);
});

test('no file of the layers is over 550 lines (generated code and dictionaries aside)', () => {
  const exempt = new Set(['cti/ari/generated.ts', 'web/i18n/en.ts', 'web/i18n/zh-CN.ts']);
  const long = [...importGraph().keys()]
    .filter((f) => !exempt.has(f))
    .map((f) => [f, readFileSync(join(root, f), 'utf8').split('\n').length] as const)
    .filter(([, n]) => n > 550)
    .map(([f, n]) => `${f}: ${n}`);
  assert.equal(long, []);
});

test('the checks catch what they are for', () => {
  const graph = new Map([
    ['core/a.ts', ['cti/b.ts']],
    ['cti/b.ts', ['core/a.ts']],
    ['pbx/c.ts', ['crm/d.ts']],
    ['crm/d.ts', []],
    ['cti/e.ts', ['web/f.ts']],
    ['web/f.ts', ['main.ts']],
    ['main.ts', ['web/f.ts']],
  ]);
  assert.equal(layerViolations(graph), [
    'core/a.ts → cti/b.ts',
    'pbx/c.ts → crm/d.ts',
    'cti/e.ts → web/f.ts',
    'web/f.ts → main.ts',
  ]);
  assert.equal(importCycles(graph), [
    ['core/a.ts', 'cti/b.ts'],
    ['main.ts', 'web/f.ts'],
  ]);
});

test.run();
