/**
 * Writes dashboards/grafana/<uid>.json from the definitions in this folder.
 * Run it with `npm run dashboards` after changing a definition; a unit test
 * fails while the files differ from the definitions.
 */
import fs from 'node:fs';
import path from 'node:path';
import { buildDashboard } from './grafana-model.ts';
import { dashboards } from './index.ts';

export const OUTPUT_DIR = path.join(import.meta.dirname, '..', 'grafana');

export function renderDashboards(): Map<string, string> {
  return new Map(dashboards.map((spec) => [`${spec.uid}.json`, `${JSON.stringify(buildDashboard(spec), null, 2)}\n`]));
}

if (import.meta.main) {
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  for (const [file, text] of renderDashboards()) {
    fs.writeFileSync(path.join(OUTPUT_DIR, file), text);
    console.log(`wrote ${path.relative(process.cwd(), path.join(OUTPUT_DIR, file))}`);
  }
}
