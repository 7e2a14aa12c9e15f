// Shared flat ESLint config for every tfkit package: ESLint's and typescript-eslint's recommended
// rules, plus the few project rules that STYLE.md asks for.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.property.name='constructor'][property.name='name']",
          message: 'Minifiers rename classes: do not reflect on constructor.name.',
        },
      ],
    },
  },
  {
    files: ['**/*.test.ts', '**/*.bench.ts', '**/test/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
