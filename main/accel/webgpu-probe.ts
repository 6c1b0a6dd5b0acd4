import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { realpathSync } from 'node:fs';
import { probeWebGpu, type WebGpuAdapterInfo } from './webgpu.js';

/*
 * The adapter question (is there one, and is it real hardware?) answered in a child process. Loading Dawn prints
 * driver warnings straight to file descriptor 2 ("maxDynamicUniformBuffersPerPipelineLayout artificially
 * reduced…"), which no JavaScript can catch; asking in a child keeps them off the user's terminal on every command
 * that only needs to know (doctor, the back-end chain deciding not to use a software adapter). The child's stderr
 * is passed on only when HEARTH_VERBOSE=1 (`--verbose`). Dawn is loaded in this process only to run on a GPU.
 */

export type AdapterAnswer = { ok: true; info: WebGpuAdapterInfo } | { ok: false; reason: string };

let answer: Promise<AdapterAnswer> | undefined;

/** The default WebGPU adapter's description, found once per process in a child (see above). */
export function describeWebGpuAdapter(): Promise<AdapterAnswer> {
  answer ??= new Promise<AdapterAnswer>((resolve) => {
    // ELECTRON_RUN_AS_NODE: inside the desktop app, process.execPath is Electron, which must act as Node here.
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => resolve({ ok: false, reason: `the WebGPU probe did not start: ${error.message}` }));
    child.on('close', (code) => {
      if (process.env.HEARTH_VERBOSE === '1' && stderr !== '') process.stderr.write(stderr);
      try {
        resolve(JSON.parse(stdout) as AdapterAnswer);
      } catch {
        const last = stderr.trim().split('\n').pop() ?? '';
        resolve({
          ok: false,
          reason: `the WebGPU probe ended (status ${String(code)}) without an answer${last === '' ? '' : `: ${last}`}`,
        });
      }
    });
  });
  return answer;
}

// The child: probe in-process and print the answer as one JSON line.
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const probe = await probeWebGpu();
  process.stdout.write(`${JSON.stringify(probe.ok ? { ok: true, info: probe.info } : probe)}\n`);
  // Dawn's instance keeps the event loop alive: the answer is out, so the child ends here.
  process.exit(0);
}
