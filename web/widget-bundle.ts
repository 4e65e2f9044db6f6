/**
 * The rich widgets (lit, written in TypeScript under web/widgets/) are bundled by esbuild on
 * first request and kept in memory: one ES module per widget, lit included, no build step to
 * forget and nothing fetched at run time.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const dir = join(dirname(fileURLToPath(import.meta.url)), 'widgets');
const bundles = new Map<string, Promise<string>>();

/** The bundled module of a widget, or null when there is no such widget. */
export function widgetBundle(name: string): Promise<string> | null {
  if (!/^[a-z][a-z0-9-]*$/.test(name)) return null;
  const entry = join(dir, `${name}.ts`);
  if (!existsSync(entry)) return null;
  let bundle = bundles.get(name);
  if (!bundle) {
    bundle = build({
      entryPoints: [entry],
      bundle: true,
      format: 'esm',
      target: 'es2022',
      minify: true,
      write: false,
      legalComments: 'none',
    }).then((r) => r.outputFiles[0]!.text);
    bundles.set(name, bundle);
    bundle.catch(() => bundles.delete(name));
  }
  return bundle;
}
