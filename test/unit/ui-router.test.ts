import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemHandler } from '../../services/api/problem.ts';
import { createUiRouter } from '../../services/api/ui/ui-router.ts';

let server: Server;
let baseUrl: string;

beforeAll(async () => {
  const app = express();
  app.use(createUiRouter());
  app.use(problemHandler(pino({ level: 'silent' })));
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('UI router', () => {
  it('serves the page shell for the list and a session', async () => {
    for (const path of ['/ui/sessions', '/ui/sessions/session%201']) {
      const response = await fetch(`${baseUrl}${path}`);
      const body = await response.text();

      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(body).toContain('<script type="module" src="/ui/assets/app.js"></script>');
    }
  });

  it('allows only its own scripts and the import map', async () => {
    const response = await fetch(`${baseUrl}/ui/sessions`);
    const body = await response.text();
    const importMap = /<script type="importmap">(.*?)<\/script>/.exec(body)?.[1] ?? '';
    const hash = createHash('sha256').update(importMap).digest('base64');
    const policy = response.headers.get('content-security-policy') ?? '';

    expect(importMap).toContain('/ui/vendor/preact.js');
    expect(policy).toContain(`script-src 'self' 'sha256-${hash}'`);
    expect(policy).toContain("default-src 'self'");
    expect(policy).not.toContain('unsafe-inline');
  });

  it('redirects /ui to the list', async () => {
    const response = await fetch(`${baseUrl}/ui`, { redirect: 'manual' });

    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/ui/sessions');
  });

  it('serves assets and vendor modules', async () => {
    for (const path of ['/ui/assets/app.js', '/ui/vendor/preact.js', '/ui/vendor/preact-hooks.js', '/ui/vendor/htm.js']) {
      const response = await fetch(`${baseUrl}${path}`);

      expect(response.status, path).toBe(200);
      expect(response.headers.get('content-type'), path).toMatch(/javascript/);
    }
    const styles = await fetch(`${baseUrl}/ui/assets/styles.css`);
    expect(styles.headers.get('content-type')).toMatch(/^text\/css/);
  });

  it('rejects unknown and traversing file names', async () => {
    for (const path of ['/ui/assets/missing.js', '/ui/assets/..%2Fui-router.ts', '/ui/assets/ui-router.ts', '/ui/vendor/react.js']) {
      const response = await fetch(`${baseUrl}${path}`);

      expect(response.status, path).toBe(404);
      expect(response.headers.get('content-type'), path).toMatch(/^application\/problem\+json/);
    }
  });
});
