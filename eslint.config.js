// Layers may import only downward; this file is where that is enforced (STYLE §12).
//   core  ← pure: no node: built-ins, no other package
//   render ← core only, pure (renderers return text)
//   pce   ← core
//   ven   ← core, render (the agent: never the server, never the CLI)
//   cli   ← core, pce (nothing imports cli)
//   console ← core; a browser app that reaches the PCE through its public API only
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'child_process', 'url', 'util', 'stream', 'events', 'worker_threads'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', '*.tmp.ts', '**/*.js', '**/*.mjs', 'bench/out/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['packages/core/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'core is pure: receive the environment as parameters (STYLE §1).' },
            { group: ['@palisade/*', '../../*'], message: 'core may not import other packages.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'core is pure' }, { name: 'Date', message: 'core is pure: take the clock as a parameter' }],
    },
  },
  {
    files: ['packages/render/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'render is pure: renderers return text and run nothing (STYLE §2).' },
            { group: ['@palisade/pce', '@palisade/pce/*', '@palisade/cli', '@palisade/cli/*', '@palisade/ven', '@palisade/ven/*', '../../*'], message: 'render may import @palisade/core only.' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'render is pure' }, { name: 'Date', message: 'render is pure: take the clock as a parameter' }],
    },
  },
  {
    files: ['packages/ven/src/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@palisade/pce', '@palisade/pce/*', '@palisade/cli', '@palisade/cli/*', '../../*'], message: 'ven may import @palisade/core and @palisade/render only (the CLI imports the VEN, not the other way round).' },
          ],
        },
      ],
      // Core's model modules build zod schemas when loaded: ~14 MB of an idle agent's memory (packages/ven/README.md).
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ group: ['@palisade/core/model/*'], allowTypeImports: true, message: 'types only from core/model in the VEN: its values load zod into the daemon.' }] },
      ],
    },
  },
  {
    files: ['packages/pce/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [{ group: ['@palisade/cli', '@palisade/cli/*'], message: 'nothing imports the CLI.' }] }],
    },
  },
  {
    files: ['packages/console/src/**/*.ts', 'packages/console/src/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: nodeBuiltins, message: 'the console runs in the browser.' },
            { group: ['@palisade/pce', '@palisade/pce/*', '@palisade/ven', '@palisade/ven/*', '@palisade/cli', '@palisade/cli/*', '@palisade/render', '@palisade/render/*'], message: 'the console talks to the PCE through its API only (STYLE: console/).' },
          ],
        },
      ],
    },
  },
);
