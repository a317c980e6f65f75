import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'builddir/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/app/**/*.ts', 'tests/support/*.js'],
    languageOptions: { globals: { imports: 'readonly', print: 'readonly', printerr: 'readonly', log: 'readonly', logError: 'readonly', ARGV: 'readonly', pkg: 'readonly', _: 'readonly', C_: 'readonly', N_: 'readonly', ngettext: 'readonly' } },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'gi://*', 'execa', 'dbus-next'] }],
    },
  },
);
