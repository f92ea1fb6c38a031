import { describe, expect, it } from 'vitest';
import type { LogsData } from '../../schemas/otlp-logs.ts';
import { loadConfig } from '../../services/shared/config.ts';
import { createIngestGuard } from '../../services/shared/ingest-guard.ts';
import { logsData } from '../support/otlp-builders.ts';
import { generateSecrets } from '../support/secrets.ts';

// Log records carry prompts and tool output as often as spans do; the
// tenant's capture policy applies to their bodies and attributes too.

const identity = { principal: 'token:test', tenant: 'default', agent: '' };

function logsWith(body: string, attribute: string): LogsData {
  const record = {
    timeUnixNano: 1n,
    observedTimeUnixNano: 1n,
    severityNumber: 9,
    severityText: 'INFO',
    body: { stringValue: body },
    attributes: [{ key: 'tool.output', value: { stringValue: attribute } }],
    traceId: '',
    spanId: '',
    eventName: 'gen_ai.user.message',
  };
  return logsData([record], [{ key: 'service.name', value: { stringValue: 'agent' } }], 'test');
}

describe('log redaction', () => {
  it('replaces secrets in bodies and attributes', () => {
    const secrets = generateSecrets();
    const data = logsWith(`use key ${secrets.awsAccessKeyId}`, `Bearer ${secrets.bearerToken}`);

    const records = createIngestGuard(loadConfig({}).security).prepareLogs(data, identity);
    const stored = JSON.stringify(data, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));

    expect(stored).not.toContain(secrets.awsAccessKeyId);
    expect(stored).not.toContain(secrets.bearerToken);
    expect(stored).toContain('[REDACTED:');
    expect(records.map((record) => record.location).sort()).toEqual(['log.body', 'tool.output']);
  });

  it('keeps a body without secrets as sent', () => {
    const data = logsWith('refund the mug', 'ok');

    createIngestGuard(loadConfig({}).security).prepareLogs(data, identity);

    expect(data.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!.body).toEqual({ stringValue: 'refund the mug' });
  });
});
