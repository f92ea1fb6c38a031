import type { Admin } from 'kafkajs';
import type { Logger } from '../shared/logger.ts';
import type { Metrics } from '../shared/metrics.ts';

export interface ConsumerLagOptions {
  admin: Admin;
  groupId: string;
  topics: string[];
  metrics: Metrics;
  logger: Logger;
  intervalMs: number;
}

/**
 * Sets the consumer lag gauge from the broker's view on a timer: the end
 * offset of each partition minus the group's committed offset. Asking the
 * broker, rather than counting in the consumer, keeps the figure true while
 * the writer is paused, which is when the lag matters.
 */
export function startConsumerLagReporter(options: ConsumerLagOptions): { stop(): void } {
  const { admin, groupId, topics, metrics, logger } = options;
  let running = false;

  const refresh = async (): Promise<void> => {
    if (running) return;
    running = true;
    try {
      const committed = await admin.fetchOffsets({ groupId, topics });
      for (const topic of topics) {
        const ends = await admin.fetchTopicOffsets(topic);
        const committedByPartition = new Map(
          (committed.find((entry) => entry.topic === topic)?.partitions ?? []).map((entry) => [entry.partition, BigInt(entry.offset)]),
        );
        for (const end of ends) {
          const groupOffset = committedByPartition.get(end.partition) ?? -1n;
          // A group that never committed on a partition starts at its low offset.
          const position = groupOffset < 0n ? BigInt(end.low) : groupOffset;
          const lag = BigInt(end.high) - position;
          metrics.writerConsumerLag.set({ topic, partition: String(end.partition) }, Number(lag > 0n ? lag : 0n));
        }
      }
    } catch (error) {
      // Kafka being down shows in /readyz and in the produce and commit
      // errors; the gauge keeps its last values meanwhile.
      logger.debug({ err: error, groupId }, 'consumer lag refresh failed');
    } finally {
      running = false;
    }
  };

  const timer = setInterval(() => void refresh(), options.intervalMs);
  timer.unref();
  void refresh();
  return {
    stop() {
      clearInterval(timer);
    },
  };
}
