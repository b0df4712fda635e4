import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.regionshift/**', 'coverage/**', 'lab/dashboard/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        AbortController: 'readonly',
        performance: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // The pages' browser modules: TypeScript (tsconfig.browser.json, DOM types) checks every name
    // they use, so the browser globals need no list here.
    files: ['functions/control/dashboard/**/*.ts', 'lab/page/**/*.ts', 'shared/browser/**/*.ts'],
    rules: { 'no-undef': 'off' },
  },
  {
    // The decision core is pure: no clock, no environment, no randomness, no I/O.
    files: ['shared/core/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', 'process', 'fetch', 'setTimeout', 'setInterval'],
      'no-restricted-syntax': [
        'error',
        { selector: "NewExpression[callee.name='Date'][arguments.length=0]", message: 'The core takes `now` as a parameter.' },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'The core takes `now` as a parameter.',
        },
        { selector: "CallExpression[callee.object.name='Math'][callee.property.name='random']", message: 'The core is deterministic.' },
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: ['node:*', 'fs', 'http', '*/adapters/*', '*/engine/*', 'better-sqlite3', 'tablestore', '@alicloud/*', '@kubernetes/*'],
        },
      ],
    },
  },
);
