import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { KAFKA_VERSION } from '../infra/kafka-broker.ts';

// docker-compose.yml as a platform engineer runs it: every service checked
// for health, data on named volumes, the Kafka version the tests use, and the
// Grafana and Prometheus files it mounts. `docker compose config` validates it
// too where the compose plugin is installed.

interface ComposeService {
  image?: string;
  build?: string;
  environment?: Record<string, string>;
  healthcheck?: { test: string[] };
  ports?: string[];
  volumes?: string[];
}

const text = fs.readFileSync('docker-compose.yml', 'utf8');
const compose = parse(text, { merge: true }) as { services: Record<string, ComposeService>; volumes: Record<string, unknown> };
const composeAvailable = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0;

describe('docker-compose.yml', () => {
  it('runs Kafka in KRaft mode at the tested version', () => {
    const kafka = compose.services['kafka']!;

    expect(kafka.image).toBe(`apache/kafka:${KAFKA_VERSION}`);
    expect(kafka.environment?.['KAFKA_PROCESS_ROLES']).toBe('broker,controller');
  });

  it('checks the health of every service', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.healthcheck?.test, name).toBeDefined();
    }
  });

  it('keeps data on declared named volumes', () => {
    const declared = Object.keys(compose.volumes);
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!;
        if (source.startsWith('./')) {
          expect(fs.existsSync(source), `${name} mounts ${source}`).toBe(true);
        } else {
          expect(declared, `${name} mounts ${source}`).toContain(source);
        }
      }
    }
  });

  it('documents every published port', () => {
    const header = text.slice(0, text.indexOf('x-audit-service'));
    const published = Object.values(compose.services).flatMap((service) => (service.ports ?? []).map((port) => port.split(':')[0]!));

    expect(published.length).toBeGreaterThan(0);
    for (const port of published) expect(header).toMatch(new RegExp(`#\\s+${port}\\s`));
  });

  it('scrapes the ports the services listen on', () => {
    const prometheus = fs.readFileSync('dashboards/prometheus/prometheus.yml', 'utf8');
    const { gateway, api, writer } = compose.services;

    expect(prometheus).toContain(`gateway:${gateway!.environment?.['OTLP_HTTP_PORT']}`);
    expect(prometheus).toContain(`api:${api!.environment?.['API_PORT']}`);
    expect(prometheus).toContain(`port: ${writer!.environment?.['WRITER_HTTP_PORT']}`);
  });

  it.skipIf(!composeAvailable)('passes docker compose config', () => {
    const env = { ...process.env, CLICKHOUSE_PASSWORD: 'compose-config-check' };
    const accepted = spawnSync('docker', ['compose', 'config', '--format', 'json'], { env, encoding: 'utf8' });
    const { CLICKHOUSE_PASSWORD: _unset, ...withoutPassword } = env;
    const rejected = spawnSync('docker', ['compose', 'config', '--quiet'], { env: withoutPassword, encoding: 'utf8' });

    expect(accepted.stderr).toBe('');
    expect(accepted.status).toBe(0);
    expect(Object.keys(JSON.parse(accepted.stdout).services).sort()).toEqual(Object.keys(compose.services).sort());
    expect(rejected.status).not.toBe(0);
    expect(rejected.stderr).toContain('CLICKHOUSE_PASSWORD');
  });
});
