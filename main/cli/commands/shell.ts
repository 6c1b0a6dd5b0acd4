import { hearthVersion } from '../../engine/version.js';
import { installationVersions } from '../../engine/versions.js';
import { completionScript, shells, type Shell } from '../completion.js';
import { type Command, UsageError } from '../command.js';
import { manPage } from '../man.js';
import { commonOptions } from '../common-options.js';

/** `hearth version` / `hearth --version`: this installation's components, without opening a data folder. */
export const versionCommand: Command = {
  name: 'version',
  summary: "this installation's version and its components' (ONNX Runtime, TensorFlow.js, SQLite, Node)",
  usage: `  version [--json]                    also \`hearth --version\` (the version alone)`,
  run: async ({ out }) => {
    const v = installationVersions();
    out.result(v, () =>
      [
        `hearth ${v.hearth}`,
        `  node          ${v.node} (${v.platform})`,
        `  onnxruntime   ${v.onnxRuntime}`,
        `  tensorflow.js ${v.tensorflow.core}${v.tensorflow.nativeBinding === null ? ' (no native binding)' : ` (${v.tensorflow.nativeBinding})`}`,
        `  sqlite        ${v.sqlite}`,
      ].join('\n'),
    );
    return 0;
  },
};

export const completionCommand: Command = {
  name: 'completion',
  summary: 'a shell completion script for bash, zsh or fish, generated from the command table',
  usage: `  completion bash|zsh|fish            print the script: source it, or install it where the shell looks`,
  run: async ({ rest, commands }) => {
    const shell = rest[0];
    if (shell === undefined || !(shells as readonly string[]).includes(shell))
      throw new UsageError(`completion takes one of ${shells.join(', ')}`);
    process.stdout.write(completionScript(shell as Shell, commands));
    return 0;
  },
};

export const manCommand: Command = {
  name: 'man',
  summary: 'the hearth(1) man page (roff), generated from the command table',
  usage: `  man                                 print the page: \`hearth man | man -l -\`, or install it under man1/`,
  run: async ({ commands }) => {
    process.stdout.write(manPage(commands, hearthVersion, commonOptions));
    return 0;
  },
};
