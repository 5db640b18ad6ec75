// `npm run test:postgres` runs only when it has a database to run against: no silent skips.
const url = process.env.MNEMOS_TEST_DATABASE_URL;
if (!url) {
  console.error(
    'npm run test:postgres needs MNEMOS_TEST_DATABASE_URL, e.g.\n' +
      '  MNEMOS_TEST_DATABASE_URL=postgres://mnemos:mnemos@127.0.0.1:5432/mnemos npm run test:postgres\n' +
      'The database needs the pgvector extension; each test creates and drops its own schema (README, Development).',
  );
  process.exit(1);
}
