#!/usr/bin/env node
// Telemetry off before onnxruntime-node can load: nothing may be written under the user's home folder.
process.env.ORT_DISABLE_TELEMETRY = '1';
const { existsSync } = await import('node:fs');
const entry = new URL('../dist/main/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('hearth: not built yet; run `npm run build` first\n');
  process.exit(1);
}
const { main } = await import(entry.href);
await main();
