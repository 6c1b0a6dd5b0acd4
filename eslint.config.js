// @ts-check
import { dirname, relative, resolve, sep } from 'node:path';
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { floors, workerFolders } from './scripts/floors.js';

const electronOnlyInDesktop = {
  name: 'electron',
  message: 'Only main/desktop may import electron (the engine runs in every host).',
};

/**
 * Imports that still run up a floor, as `importer -> target` (repo-relative). Each entry is a debt; the service-locator
 * change emptied it (services receive narrow dependencies instead of the whole Engine). Keep it empty.
 */
const upwardAllowed = new Set([]);

/** ARCHITECTURE.md section 2: a file under main/ imports from its own floor or below; workers/ only ground and models/. */
const noUpwardImport = {
  meta: {
    type: 'problem',
    schema: [{ type: 'object', properties: { workers: { type: 'boolean' } }, additionalProperties: false }],
    messages: {
      upward: '{{from}} (floor {{a}}) may not import {{to}} (floor {{b}}): imports never run up a floor.',
      unplaced: 'main/{{folder}}/ has no floor: add it to scripts/floors.js.',
      worker: 'workers/ import only the ground floor and models/, not main/{{folder}}/.',
    },
  },
  /** @param {import('eslint').Rule.RuleContext} context */
  create(context) {
    const root = import.meta.dirname;
    const checkWorkers = context.options[0]?.workers !== false;
    const here = relative(root, context.filename).split(sep).join('/');
    const area = here.split('/')[0];
    /** @param {string} path */
    const topOf = (path) => (path.startsWith('main/') && path.split('/').length > 2 ? path.split('/')[1] : undefined);
    /** @param {import('estree').Node | null | undefined} source */
    const check = (source) => {
      if (source?.type !== 'Literal' || typeof source.value !== 'string' || !source.value.startsWith('.')) return;
      const target = relative(root, resolve(dirname(context.filename), source.value.replace(/\.js$/, '.ts')))
        .split(sep)
        .join('/');
      const to = topOf(target);
      if (to === undefined) return;
      if (area === 'workers') {
        if (checkWorkers && !workerFolders.includes(to))
          context.report({ node: source, messageId: 'worker', data: { folder: to } });
        return;
      }
      const from = topOf(here);
      if (area !== 'main' || from === undefined || from === to) return;
      const a = floors[from];
      const b = floors[to];
      if (a === undefined) return context.report({ node: source, messageId: 'unplaced', data: { folder: from } });
      if (b === undefined) return context.report({ node: source, messageId: 'unplaced', data: { folder: to } });
      if (b > a && !upwardAllowed.has(`${here} -> ${target}`))
        context.report({ node: source, messageId: 'upward', data: { from, a: String(a), to, b: String(b) } });
    };
    return {
      ImportDeclaration: (node) => check(node.source),
      ExportNamedDeclaration: (node) => check(node.source),
      ExportAllDeclaration: (node) => check(node.source),
      ImportExpression: (node) => check(node.source),
    };
  },
};

/** The local plugin: floors/no-upward-import. */
export const floorsPlugin = { rules: { 'no-upward-import': noUpwardImport } };

export default tseslint.config(
  // workers/gbdt/assembly is AssemblyScript (its own tsconfig and types), compiled by asc rather than tsc.
  { ignores: ['dist/**', 'node_modules/**', 'release/**', 'test-results/**', 'build/**', 'workers/gbdt/assembly/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'bin/*.js', 'scripts/*.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.node },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // node:test's describe/it return promises the runner itself tracks.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' }] },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Contract handlers are async by signature even when their body is synchronous.
      '@typescript-eslint/require-await': 'off',
      eqeqeq: ['error', 'always'],
      'no-restricted-imports': ['error', { paths: [electronOnlyInDesktop] }],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Worker']",
          message:
            'Start workers with startWorker (main/accel/worker-thread.ts): it keeps V8 from aborting the process when one ends.',
        },
      ],
    },
  },
  {
    files: ['main/**/*.{ts,cts}'],
    plugins: { floors: floorsPlugin },
    rules: { 'floors/no-upward-import': 'error' },
  },
  {
    // Workers import only ground, models/ and accel/ (scripts/floors.js workerFolders).
    files: ['workers/**/*.ts'],
    plugins: { floors: floorsPlugin },
    rules: { 'floors/no-upward-import': ['error', { workers: true }] },
  },
  {
    // The desktop shell is the one place electron may be imported.
    files: ['main/desktop/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Sandboxed preloads must be CommonJS, so `import x = require()` is the only import form there.
    files: ['main/desktop/preload.cts'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/desktop/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyInDesktop],
          patterns: [{ group: ['**/renderer/**'], message: 'The engine never imports the renderer.' }],
        },
      ],
    },
  },
  {
    files: ['workers/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyInDesktop, { name: 'react', message: 'Workers run in Node threads: no DOM, no React.' }],
          patterns: [
            {
              group: ['**/renderer/**', '**/main/desktop/**'],
              message: 'Workers import neither the renderer nor the desktop shell.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'window', 'document'],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [electronOnlyInDesktop],
          patterns: [
            {
              regex: '^(\\.\\./)+main/(?!contracts/)',
              message: 'The renderer may import only the contracts from main.',
            },
            {
              regex: '^(\\.\\./)+main/contracts/(?!(client|validate)\\.js$)',
              allowTypeImports: true,
              message: 'From the contracts the renderer imports types, plus the typed client and the argument checks.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  prettier,
);
