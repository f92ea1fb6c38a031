import type { SessionSummary } from '../../schemas/api.ts';
import type { FindingType } from '../../schemas/investigation.ts';
import type { Policy } from '../shared/policy.ts';
import type { ClickHouseClient } from '../shared/storage/clickhouse.ts';
import { listSessions, type SessionCursor, type SessionListFilter } from './session-repository.ts';
import { assembleTimeline } from './session-timeline.ts';
import { parseRfc3339 } from './time-format.ts';

/** Sessions examined at most for one page of a finding filter. */
export const FINDING_SCAN_LIMIT = 500;

export interface SessionPage {
  sessions: (SessionSummary & { findingTypes?: FindingType[] })[];
  next: SessionCursor | null;
  /** For a finding filter: sessions examined for this page, and whether the scan stopped at its limit. */
  scan?: { examined: number; truncated: boolean };
}

/**
 * Lists sessions; with a finding type, keeps only sessions whose findings
 * include it. Findings depend on the whole session and the current policy,
 * so they are computed when read: the filter walks the other filters' result
 * newest first and stops after FINDING_SCAN_LIMIT sessions, saying so.
 */
export async function searchSessions(
  client: ClickHouseClient,
  filter: SessionListFilter,
  finding: FindingType | undefined,
  policy: Policy,
): Promise<SessionPage> {
  if (finding === undefined) return listSessions(client, filter);

  const matches: SessionPage['sessions'] = [];
  let cursor = filter.cursor;
  let examined = 0;
  let exhausted = false;
  while (matches.length < filter.limit && examined < FINDING_SCAN_LIMIT && !exhausted) {
    const batch = await listSessions(client, { ...filter, cursor, limit: Math.min(100, FINDING_SCAN_LIMIT - examined) });
    exhausted = batch.next === null;
    for (const summary of batch.sessions) {
      examined += 1;
      // The next page resumes after the last session examined, matched or not.
      cursor = { startUnixNano: parseRfc3339(summary.start), sessionId: summary.sessionId };
      const timeline = await assembleTimeline(client, summary.sessionId, policy, { fullContent: false });
      const types = [...new Set(timeline?.findings.map((found) => found.type) ?? [])];
      if (types.includes(finding)) matches.push({ ...summary, findingTypes: types });
      if (matches.length === filter.limit) {
        exhausted = exhausted && summary === batch.sessions.at(-1);
        break;
      }
    }
  }
  return {
    sessions: matches,
    next: exhausted ? null : (cursor ?? null),
    scan: { examined, truncated: !exhausted && matches.length < filter.limit },
  };
}
