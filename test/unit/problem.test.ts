import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { problemHandler } from '../../services/api/problem.ts';

// How the API responds to requests that Express or body-parser reject before
// a handler runs, on a real HTTP server with the API's problem handler.

let server: Server;
let baseUrl: string;
const logLines: string[] = [];

beforeAll(async () => {
  const logStream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  const app = express();
  app.get('/v1/sessions/:sessionId/timeline', (request, response) => {
    response.json({ sessionId: request.params.sessionId });
  });
  app.put('/v1/sessions/:sessionId/legal-hold', express.json({ limit: '1kb' }), (request, response) => {
    response.json(request.body);
  });
  app.use(problemHandler(pino({ level: 'debug' }, logStream)));
  server = await new Promise<Server>((resolve) => {
    const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
  });
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function readProblem(response: Response): Promise<{ status: number; detail: string }> {
  expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  return (await response.json()) as { status: number; detail: string };
}

describe('problem handler', () => {
  it('answers 400 to an invalid percent escape', async () => {
    const response = await fetch(`${baseUrl}/v1/sessions/%ZZ/timeline`);
    const problem = await readProblem(response);

    expect(response.status).toBe(400);
    expect(problem.detail).toBe('the request path contains an invalid percent-encoded character');
  });

  it('answers 400 to malformed JSON without repeating it', async () => {
    const secret = `prompt-text-${Date.now()}`;
    const response = await fetch(`${baseUrl}/v1/sessions/s-1/legal-hold`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: `{"reason":"${secret}" x`,
    });
    const problem = await readProblem(response);

    expect(response.status).toBe(400);
    expect(problem.detail).toBe('the request body is not valid JSON');
    expect(JSON.stringify(problem)).not.toContain(secret);
    expect(logLines.join('')).not.toContain(secret);
    expect(logLines.some((line) => line.includes('"level":50'))).toBe(false);
  });

  it('answers 413 to a body over the limit', async () => {
    const response = await fetch(`${baseUrl}/v1/sessions/s-1/legal-hold`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'x'.repeat(4_096) }),
    });
    const problem = await readProblem(response);

    expect(response.status).toBe(413);
    expect(problem.detail).toBe('the request body is larger than the API accepts');
  });
});
