/**
 * Runs the support agent against the ingestion gateway, then waits for the
 * timeline API to show the session and prints it.
 *
 * Environment: OTLP_ENDPOINT (default http://127.0.0.1:4318), API_URL
 * (default http://127.0.0.1:8080) and AGENT_AUDIT_CREDENTIALS_FILE (default
 * data/credentials.json, which `npm start` creates on its first start in
 * embedded mode; its ingestToken sends the spans and its adminToken reads
 * the timeline). Exits 0 when the timeline was printed, 1 when the run or
 * the wait failed, 2 when an environment value is invalid.
 */
import fs from 'node:fs';
import { EXPECTED_ACTIVITY, runSupportAgent } from './agent.ts';
import { formatTimeline, waitForTimeline } from './timeline.ts';

const DEFAULT_OTLP_ENDPOINT = 'http://127.0.0.1:4318';
const DEFAULT_API_URL = 'http://127.0.0.1:8080';
const DEFAULT_CREDENTIALS_FILE = 'data/credentials.json';
const TIMELINE_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 500;

function readUrlFromEnv(name: string, defaultValue: string): string | undefined {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? defaultValue : raw;
  if (!URL.canParse(value)) {
    console.error(`Invalid ${name} ${JSON.stringify(value)}: expected an http URL such as ${defaultValue}.`);
    return undefined;
  }
  return value;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function readCredentials(): { ingestToken: string; adminToken: string } | undefined {
  const file = process.env['AGENT_AUDIT_CREDENTIALS_FILE'] || DEFAULT_CREDENTIALS_FILE;
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { ingestToken?: unknown; adminToken?: unknown };
    if (typeof parsed.ingestToken === 'string' && typeof parsed.adminToken === 'string') {
      return { ingestToken: parsed.ingestToken, adminToken: parsed.adminToken };
    }
    console.error(`Credentials file ${file} has no ingestToken and adminToken.`);
  } catch (error) {
    console.error(`Could not read the credentials file ${file}: ${errorMessage(error)}`);
  }
  console.error('Start the services once with `npm start`, or set AGENT_AUDIT_CREDENTIALS_FILE to the file it wrote.');
  return undefined;
}

async function main(): Promise<number> {
  const otlpEndpoint = readUrlFromEnv('OTLP_ENDPOINT', DEFAULT_OTLP_ENDPOINT);
  const apiUrl = readUrlFromEnv('API_URL', DEFAULT_API_URL);
  if (otlpEndpoint === undefined || apiUrl === undefined) {
    return 2;
  }
  const credentials = readCredentials();
  if (credentials === undefined) {
    return 2;
  }

  console.log(`Running the support agent. Spans go to ${otlpEndpoint}.`);
  let run;
  try {
    run = await runSupportAgent({ otlpEndpoint, token: credentials.ingestToken });
  } catch (error) {
    console.error(`Support agent run failed: ${errorMessage(error)}`);
    console.error('Check that the ingestion gateway is running, or set OTLP_ENDPOINT to its address.');
    return 1;
  }
  console.log(`Session ${run.sessionId}: exported ${run.traceIds.length} traces (${run.traceIds.join(', ')})`);
  console.log(
    `Waiting up to ${TIMELINE_TIMEOUT_MS / 1000} s for ${EXPECTED_ACTIVITY.modelRequests} model requests ` +
      `and ${EXPECTED_ACTIVITY.toolCalls} tool calls at ${apiUrl}`,
  );

  const result = await waitForTimeline({
    apiUrl,
    sessionId: run.sessionId,
    expected: EXPECTED_ACTIVITY,
    timeoutMs: TIMELINE_TIMEOUT_MS,
    intervalMs: POLL_INTERVAL_MS,
    token: credentials.adminToken,
  });
  if (!result.ok) {
    console.error(`Timeline for session ${run.sessionId} did not appear: ${result.reason}`);
    console.error('Check that the writer and the timeline API are running, or set API_URL to the API address.');
    return 1;
  }

  console.log(`\nTimeline of session ${result.timeline.sessionId} (${result.timeline.steps.length} steps):\n`);
  console.log(formatTimeline(result.timeline));
  return 0;
}

process.exitCode = await main();
