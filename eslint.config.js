// Lint gate (run by .ci/run): type-aware typescript-eslint rules that catch real bugs — unhandled promises,
// unsafe `any` flows, misused async callbacks — with formatting left to prettier.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'dist/', '.tmp/', '.data/', 'coverage/', '**/*.mjs', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Providers and handlers implement async contracts (`() => Promise<T>`) without always awaiting.
      '@typescript-eslint/require-await': 'off',
      // String(x) of parsed, untyped input (YAML, SQL ASTs, form fields) is how its error messages quote it.
      '@typescript-eslint/no-base-to-string': 'off',
      // Class methods are passed as callbacks only where they do not use `this` (codecs, matchers).
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Tests read untyped JSON bodies (`await res.json()`) and poke at wire messages; the `any` checks
    // would only add casts there. Source code keeps them.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // Ambient declarations of untyped packages: their classes are referenced only through the module's types.
    files: ['**/*.d.ts'],
    rules: { '@typescript-eslint/no-unused-vars': 'off' },
  },
);
