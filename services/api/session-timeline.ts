import type { TimelineResponse } from '../../schemas/api.ts';
import type { Policy } from '../shared/policy.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { readMessageAttributes } from './investigation-repository.ts';
import { investigateSession, spansNeedingMessages } from './investigation.ts';
import { readSessionEvents, readSessionLogEvents } from './session-repository.ts';
import { buildTimeline } from './timeline.ts';

export interface TimelineOptions {
  /** Full message texts in intent instead of summaries. */
  fullContent: boolean;
}

/** Reads a session and builds its timeline with the investigator's facts and findings; null when unknown. */
export async function assembleTimeline(
  client: ClickHouseClient,
  sessionId: string,
  policy: Policy,
  options: TimelineOptions,
): Promise<TimelineResponse | null> {
  const events = await readSessionEvents(client, sessionId);
  const traceIds = [...new Set(events.map((event) => event.traceId))].sort();
  // Coding agents may send log events only, so a session without spans can still exist.
  const logEvents = await readSessionLogEvents(client, sessionId, traceIds);
  if (events.length === 0 && logEvents.length === 0) return null;
  const steps = buildTimeline(events, logEvents);
  const messages = await readMessageAttributes(client, traceIds, spansNeedingMessages(steps));
  const findings = investigateSession({ events, steps, policy }, messages, options.fullContent);
  return { sessionId, traceIds, steps, findings };
}
