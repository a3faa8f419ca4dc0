import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/', 'out/', 'dist/', '.vscode-test/', 'test-results/', 'bench/.work/', 'bench/results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // The engine and the CLI run without an editor: keep `vscode` out of them.
    files: ['src/engine/**', 'src/cli/**', 'src/shared/**', 'src/webview/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'vscode', message: 'The engine never imports vscode.' }] }],
    },
  },
  {
    files: ['src/webview/**', 'test/ui/**'],
    languageOptions: { globals: { ...globals.browser } },
  },
);
