/**
 * Runs the support agent against the ingestion gateway, then waits for the
 * timeline API to show the session and prints it.
 *
 * Environment: OTLP_ENDPOINT (default http://127.0.0.1:4318) and API_URL
 * (default http://127.0.0.1:8080). Exits 0 when the timeline was printed, 1
 * when the run or the wait failed, 2 when an environment value is invalid.
 */
import { EXPECTED_ACTIVITY, runSupportAgent } from './agent.ts';
import { formatTimeline, waitForTimeline } from './timeline.ts';

const DEFAULT_OTLP_ENDPOINT = 'http://127.0.0.1:4318';
const DEFAULT_API_URL = 'http://127.0.0.1:8080';
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

async function main(): Promise<number> {
  const otlpEndpoint = readUrlFromEnv('OTLP_ENDPOINT', DEFAULT_OTLP_ENDPOINT);
  const apiUrl = readUrlFromEnv('API_URL', DEFAULT_API_URL);
  if (otlpEndpoint === undefined || apiUrl === undefined) {
    return 2;
  }

  console.log(`Running the support agent. Spans go to ${otlpEndpoint}.`);
  let run;
  try {
    run = await runSupportAgent({ otlpEndpoint });
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
