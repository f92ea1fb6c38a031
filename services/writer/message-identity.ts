import type { KafkaMessage } from 'kafkajs';
import type { IngestIdentity } from '../shared/auth/identity.ts';
import { headersAsStrings } from './message-decoder.ts';

// Whose spans a Kafka message holds. The gateway's messages name the tenant
// and credential in envelope headers, and their spans were already checked
// and redacted. Messages on the Collector-fed topic carry no credential: they
// belong to COLLECTOR_TENANT and still need the limits and redaction.

export interface MessageSource {
  identity: IngestIdentity;
  /** True when the gateway wrote the message, so limits and redaction were applied before Kafka. */
  viaGateway: boolean;
}

export function identifyMessage(
  message: KafkaMessage,
  topic: string,
  options: { spansTopic: string; defaultTenant: string; collectorTenant: string },
): MessageSource {
  const headers = headersAsStrings(message);
  if (topic === options.spansTopic && 'audit.envelope-version' in headers) {
    return {
      viaGateway: true,
      identity: {
        tenant: headers['audit.tenant'] || options.defaultTenant,
        principal: headers['audit.ingest-principal'] ?? '',
        agent: headers['audit.ingest-agent'] ?? '',
      },
    };
  }
  return { viaGateway: false, identity: { tenant: options.collectorTenant, principal: `collector:${topic}`, agent: '' } };
}
