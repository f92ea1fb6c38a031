import type { LogsData } from '../../schemas/otlp-logs.ts';
import { normalizeLogs } from '../shared/normalize/logs.ts';

/** Key of records that name no session and belong to no trace. */
export const UNATTRIBUTED_LOGS_KEY = 'unattributed';

/**
 * Splits log data into one LogsData per session, keeping each record under
 * its own resource and scope, so each session's records are one Kafka
 * message keyed like its spans.
 */
export function splitLogsBySession(data: LogsData, receivedAtUnixNano: bigint): Map<string, LogsData> {
  const sessions = normalizeLogs(data, receivedAtUnixNano).map((event) => event.sessionId || UNATTRIBUTED_LOGS_KEY);
  const bySession = new Map<string, LogsData>();
  let index = 0;
  for (const resourceLogs of data.resourceLogs) {
    for (const scopeLogs of resourceLogs.scopeLogs) {
      for (const record of scopeLogs.logRecords) {
        const sessionId = sessions[index] ?? UNATTRIBUTED_LOGS_KEY;
        index += 1;
        let target = bySession.get(sessionId);
        if (target === undefined) {
          target = { resourceLogs: [] };
          bySession.set(sessionId, target);
        }
        let targetResource = target.resourceLogs.find((candidate) => candidate.resource === resourceLogs.resource);
        if (targetResource === undefined) {
          targetResource = { resource: resourceLogs.resource, schemaUrl: resourceLogs.schemaUrl, scopeLogs: [] };
          target.resourceLogs.push(targetResource);
        }
        let targetScope = targetResource.scopeLogs.find((candidate) => candidate.scope === scopeLogs.scope);
        if (targetScope === undefined) {
          targetScope = { scope: scopeLogs.scope, schemaUrl: scopeLogs.schemaUrl, logRecords: [] };
          targetResource.scopeLogs.push(targetScope);
        }
        targetScope.logRecords.push(record);
      }
    }
  }
  return bySession;
}
