import tseslint from 'typescript-eslint';
import security from 'eslint-plugin-security';

/**
 * Lint is part of `npm test`. Type-aware rules catch promises that are dropped or passed where nothing awaits them;
 * the import rules encode the dependency arrows of the design (README "Layout"): app/ and server/trpc/ → domain
 * folders → server/db/; within the domain, later pipeline stages read earlier ones, never the reverse; React
 * components never import server code (types excepted). Tests may import across stages (to set the scene).
 *
 * Unsafe patterns (README "Security scanning"): eslint-plugin-security's recommended rules, raised from warnings to
 * errors so that a finding fails `npm test`, plus the core rules against evaluating strings as code. Where a rule is
 * switched off or narrowed below, the reason is written next to it; a justified single finding carries an inline
 * `eslint-disable-next-line <rule> -- <reason>`.
 */
const securityErrors = Object.fromEntries(Object.keys(security.configs.recommended.rules).map((rule) => [rule, 'error']));

/** Developer tooling and tests: paths and patterns come from the developer's own arguments, temp dirs and fixtures. */
const TOOLING = ['**/*.test.ts', 'e2e/**', 'bench/**', 'deploy/**', '.ci/**', 'client/pack.ts', 'server/testing/**', '*.config.mjs', '*.config.ts'];
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
  // --- unsafe patterns ---------------------------------------------------------------------------------------------
  {
    plugins: { security },
    rules: {
      ...securityErrors,
      'no-eval': 'error',
      'no-implied-eval': 'error',
      'no-new-func': 'error',
      'no-script-url': 'error',
      // Off: it flags every `obj[key]` with a non-literal key (672 findings here, nearly all array indexing by a
      // number and lookups in typed maps). The risk it guards against — a caller-chosen key such as `__proto__`
      // reaching an object write — is closed at the boundary instead: every outside input is parsed by a zod schema
      // (unknown keys rejected, records keyed by enums), so no caller-chosen string becomes a key unchecked.
      'security/detect-object-injection': 'off',
    },
  },
  {
    files: TOOLING,
    rules: {
      // Tooling and tests build paths from temp dirs, /proc and their own arguments, and regexps from their own
      // expected strings: there is no untrusted caller.
      'security/detect-non-literal-fs-filename': 'off',
      'security/detect-non-literal-regexp': 'off',
    },
  },
  {
    // Server files whose file-system paths come from configuration or the operator, never from a request: DATA_DIR
    // (embedded PostgreSQL, its secrets and run lock), the repository tree (the build-freshness check), node_modules
    // (the WASM binaries), the demo data's fixed candidates, and the CLI's own file arguments (`import <file>`,
    // `eval <csv>`: the operator can read those files anyway). openSource() takes a path only from those callers:
    // the REST and tRPC imports pass a stream or a buffer. Everywhere else — route handlers, tRPC, serving, auth —
    // the rule stays an error.
    files: [
      'server/db/embedded.ts',
      'server/db/embedded-server.ts',
      'server/bin/web-build.ts',
      'server/ml/backend.ts',
      'server/market/demo.ts',
      'server/market/cli.ts',
      'server/training/cli.ts',
      'server/market/parse/source.ts',
    ],
    rules: { 'security/detect-non-literal-fs-filename': 'off' },
  },

  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // The type-aware version also catches setTimeout/setInterval/Function given a string through a variable.
      'no-implied-eval': 'off',
      '@typescript-eslint/no-implied-eval': 'error',
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
