import tseslint from 'typescript-eslint';

/**
 * Lint is part of `npm test`. Type-aware rules catch promises that are dropped or passed where nothing awaits them;
 * the import rules encode the dependency arrows of the design (README "Layout"): app/ and server/trpc/ → domain
 * folders → server/db/; within the domain, later pipeline stages read earlier ones, never the reverse; React
 * components never import server code (types excepted). Tests may import across stages (to set the scene).
 */
const stage = (folder, forbidden, why) => ({
  files: [`server/${folder}/**/*.ts`],
  ignores: ['**/*.test.ts'],
  rules: {
    '@typescript-eslint/no-restricted-imports': [
      'error',
      {
        patterns: [
          {
            regex: `(^|/)(${forbidden.join('|')})(/|$)`,
            message: `server/${folder} must not import ${forbidden.join(', ')}: ${why}`,
          },
        ],
      },
    ],
  },
});

export default tseslint.config(
  { ignores: ['.next/**', 'node_modules/**', '.data/**', 'dist/**', 'test-results/**', 'playwright-report/**', 'drizzle/migrations/**', 'next-env.d.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  // --- the dependency arrows ---------------------------------------------------------------------------------------
  {
    files: ['components/**/*.ts', 'components/**/*.tsx'],
    ignores: ['**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^@/server/|(^|/)server/', allowTypeImports: true, message: 'React components never import server code (types excepted): pages pass data in, the tRPC client fetches it.' },
            { regex: '^@/app/|(^|/)app/', message: 'components/ must not import app/ (routes import components, not the reverse).' },
          ],
        },
      ],
    },
  },
  stage('db', ['market', 'ml', 'training', 'registry', 'serving', 'promotion', 'monitoring', 'drift', 'auth', 'jobs', 'trpc'], 'the database layer is the bottom of the stack'),
  stage('market', ['ml', 'training', 'registry', 'serving', 'promotion', 'monitoring', 'drift', 'trpc'], 'market data is the first stage'),
  stage('ml', ['training', 'registry', 'serving', 'promotion', 'monitoring', 'drift', 'trpc'], 'the ML core knows nothing of runs, versions or traffic'),
  stage('training', ['serving', 'promotion', 'monitoring', 'drift', 'trpc'], 'a new version is announced; promotion decides its traffic'),
  stage('registry', ['training', 'serving', 'promotion', 'monitoring', 'drift', 'trpc'], 'the registry stores versions; it does not train, route or promote'),
  stage('promotion', ['serving', 'training', 'trpc'], 'serving reads promotion, not the reverse'),
  stage('serving', ['training', 'drift', 'trpc'], 'serving answers from registered versions; it does not train'),
  stage('monitoring', ['training', 'serving', 'trpc'], 'monitoring reads roll-ups and the prediction log; serving reports to it, not the reverse'),
  stage('auth', ['market', 'ml', 'training', 'registry', 'serving', 'promotion', 'trpc'], 'auth is shared infrastructure'),
  {
    files: ['server/**/*.ts'],
    ignores: ['**/*.test.ts', 'server/trpc/**', 'server/bin/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)(app|components)/|^@/(app|components)/', message: 'server code must not import app/ or components/.' }] },
      ],
    },
  },
);
