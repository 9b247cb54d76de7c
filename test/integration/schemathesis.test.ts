import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningOrderService } from '../../src/order-service';
import { testToken } from '../support/test-auth';
import { startTestService } from '../support/test-service';

/**
 * Schemathesis (pinned in infra/schemathesis-requirements.txt, installed by infra/provision-schemathesis.sh) against
 * the real service and its served /openapi.json: every operation, every check, every phase — examples, coverage,
 * fuzzing, and stateful sequences that follow the document's links from a created order. It must find nothing.
 * A failure prints Schemathesis's own report, with a curl command reproducing each failing request.
 *
 * SCHEMATHESIS_MAX_EXAMPLES sets the cases per operation and phase (default below: enough for well over 1,000 cases).
 * The seed is fixed, so every run draws the same cases (the stateful phase's count still varies a little with timing).
 * Schemathesis's curl commands show the token as `[Filtered]`: sign one with test-auth.ts (or `npm run token`) to replay.
 */
const MAX_EXAMPLES = Number(process.env.SCHEMATHESIS_MAX_EXAMPLES ?? 50);
const SEED = process.env.SCHEMATHESIS_SEED ?? '20261202';
const MIN_CASES = 1000;
/** A run takes about a minute here; the bounds leave room for a busy CI machine, the test's a little more than the run's. */
const RUN_TIMEOUT_MS = 8 * 60_000;
const TEST_TIMEOUT_MS = RUN_TIMEOUT_MS + 60_000;

const PROJECT_DIR = join(__dirname, '..', '..');
/** Which statuses count as accepting a valid request, and why: see the file. */
const CONFIG_FILE = join(__dirname, 'schemathesis.toml');
/** Drops a "valid request refused" only for requests that were not valid after all: see schemathesis_hooks.py. */
const HOOKS_ENV = { ...process.env, SCHEMATHESIS_HOOKS: 'schemathesis_hooks', PYTHONPATH: __dirname };

interface RunOutcome {
  exitCode: number;
  output: string;
}

/** Runs in `workDir`: Schemathesis keeps a crash cache (`.schemathesis/`) in its working directory, never in the work tree. */
function runSchemathesis(python: string, workDir: string, args: string[]): Promise<RunOutcome> {
  return new Promise((resolve) => {
    execFile(
      python,
      ['-m', 'schemathesis.cli', '--config-file', CONFIG_FILE, '--no-color', ...args],
      { cwd: workDir, timeout: RUN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024, env: HOOKS_ENV },
      (error, stdout, stderr) => {
        const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ exitCode, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** The run's verdict as Schemathesis writes it (`--report json`): counted by Schemathesis, not read off its text. */
interface JsonReport {
  complete: boolean;
  exit_code: number;
  operations: { total: number; tested: number; errored: number } | null;
  phases: Record<string, { status: string; skip_reason: string | null }> | null;
  test_cases: { generated: number; with_failures: number; unique_failures: number; errored: number };
  failures: Array<{ code: string; title: string; count: number; operations: string[] }>;
  errors: Array<{ title: string; count: number }>;
  /** Failures schemathesis_hooks.py dropped (requests that were not valid after all). */
  filtered: number;
  warnings: unknown;
}

function summarise(report: JsonReport): string {
  const byCheck = report.failures.map(({ code, title, count }) => `${code} ${title}: ${count}`).join('; ') || 'none';
  const phases = Object.entries(report.phases ?? {})
    .map(([phase, { status }]) => `${phase} ${status}`)
    .join(', ');
  return `${report.test_cases.generated} cases over ${report.operations?.tested ?? 0} operations (${phases}); failures: ${byCheck}; errors: ${report.errors.length}; dropped by the hooks: ${report.filtered}; warnings: ${JSON.stringify(report.warnings)}`;
}

describe('Schemathesis against /openapi.json', () => {
  let service: RunningOrderService;
  let reportDir: string;
  let python: string;

  beforeAll(async () => {
    // Cached per machine; npm test and .ci/run have provisioned it already, so this only prints its path.
    python = execFileSync('bash', [join(PROJECT_DIR, 'infra', 'provision-schemathesis.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    service = await startTestService();
    reportDir = mkdtempSync(join(tmpdir(), 'schemathesis-'));
  });

  afterAll(async () => {
    await service?.stop();
    if (reportDir) rmSync(reportDir, { recursive: true, force: true });
  });

  it(
    `runs at least ${MIN_CASES} generated cases with every check and phase, and finds no failure`,
    async () => {
      const token = await testToken({ sub: 'schemathesis', expiresIn: 2 * 3600 });
      const reportPath = join(reportDir, 'report.json');
      const { exitCode, output } = await runSchemathesis(python, reportDir, [
        'run',
        `${service.url}/openapi.json`,
        '--url',
        `${service.url}/api/v1`,
        '--header',
        `Authorization: Bearer ${token}`,
        '--checks',
        'all',
        '--phases',
        'examples,coverage,fuzzing,stateful',
        '--max-examples',
        String(MAX_EXAMPLES),
        '--seed',
        SEED,
        '--workers',
        '2',
        // No example database in the work tree: the seed alone decides what is generated.
        '--generation-database',
        'none',
        // Prices are published as multiples of 0.01, which a binary float often is not exactly (57 × 0.01 =
        // 0.5700000000000001), so Hypothesis throws away many draft orders before it keeps one. That is slower, not
        // wrong: without this, its health check may stop POST /orders with an error when a run draws more examples.
        '--suppress-health-check',
        'filter_too_much',
        '--report',
        'json',
        '--report-json-path',
        reportPath,
      ]);
      let report: JsonReport;
      try {
        report = JSON.parse(readFileSync(reportPath, 'utf8')) as JsonReport;
      } catch {
        throw new Error(`schemathesis wrote no report (exit ${exitCode}):\n${output}`);
      }
      const summary = `schemathesis: ${summarise(report)}`;
      const passed =
        exitCode === 0 && report.complete && report.failures.length === 0 && report.errors.length === 0 && report.test_cases.generated >= MIN_CASES;
      // The full output holds each failure with the curl command that reproduces it.
      if (!passed) throw new Error(`${summary}\n\n${output}`);
      console.log(summary);
    },
    TEST_TIMEOUT_MS,
  );
});
