import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { environmentValue } from '../settings/environment.js';

/**
 * Runs a module of this package (its file URL: import.meta.url) as a child Node process and reads the one JSON document it prints. Native GPU stacks
 * are probed this way so that what they write to file descriptor 2, and any crash, stays in the child: its stderr is
 * passed on only when HEARTH_VERBOSE=1 (`--verbose`). Rejects when the child cannot start or prints no JSON.
 */
export function jsonFromChild(module: string | URL): Promise<unknown> {
  return new Promise((resolve, reject) => {
    // ELECTRON_RUN_AS_NODE: inside the desktop app, process.execPath is Electron, which must act as Node here.
    const child = spawn(process.execPath, [fileURLToPath(module)], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (environmentValue('HEARTH_VERBOSE') === '1' && stderr !== '') process.stderr.write(stderr);
      try {
        resolve(JSON.parse(stdout));
      } catch {
        const last = stderr.trim().split('\n').pop() ?? '';
        reject(new Error(`the child ended (status ${String(code)}) without an answer${last === '' ? '' : `: ${last}`}`));
      }
    });
  });
}
