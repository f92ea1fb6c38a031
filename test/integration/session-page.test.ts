import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Step, TimelineResponse } from '../../schemas/api.ts';
import { EXPECTED_ACTIVITY, runSupportAgent } from '../../examples/support-agent/agent.ts';
import { AUDIT_FACTS } from '../../examples/support-agent/support-tools.ts';
import { readJson, startPipeline, waitFor, type TestPipeline } from '../support/pipeline.ts';

// The investigator pages in headless Chromium (Debian's package, driven by
// playwright-core) over the example agent's session: the list with its
// filters, then the session page with its waterfall, findings, approvals and
// step facts. Screenshots go to UI_SCREENSHOT_DIR, by default .cache/screenshots.

const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SCREENSHOT_DIR = path.resolve(process.env['UI_SCREENSHOT_DIR'] ?? '.cache/screenshots');

let pipeline: TestPipeline;
let browser: Browser;
let page: Page;
let sessionId: string;
let timeline: TimelineResponse;
const pageErrors: string[] = [];

function stepNamed(name: string): Step {
  const step = timeline.steps.find((candidate) => candidate.name === name);
  if (step === undefined) throw new Error(`no step named ${name}`);
  return step;
}

beforeAll(async () => {
  pipeline = await startPipeline({ kafkaBrokers: inject('kafkaBrokers'), clickhouseUrl: inject('clickhouseUrl') }, 'ui');
  const run = await runSupportAgent({ otlpEndpoint: pipeline.gatewayUrl, token: pipeline.ingestToken });
  sessionId = run.sessionId;
  timeline = await waitFor(
    async () => {
      const response = await pipeline.fetch(`${pipeline.apiUrl}/v1/sessions/${sessionId}/timeline`);
      if (response.status !== 200) return undefined;
      const body = (await readJson(response)) as TimelineResponse;
      const tools = body.steps.filter((step) => step.kind === 'tool_call');
      const models = body.steps.filter((step) => step.kind === 'model_request');
      return tools.length === EXPECTED_ACTIVITY.toolCalls && models.length === EXPECTED_ACTIVITY.modelRequests ? body : undefined;
    },
    { what: 'the example session timeline' },
  );

  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') pageErrors.push(message.text());
  });
  page.on('response', (response) => {
    if (response.status() >= 400) pageErrors.push(`${response.status()} ${response.url()}`);
  });
  fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await pipeline?.stop();
});

describe('example session facts', () => {
  it('carry intent, authority, data, approval and a finding', () => {
    const lookup = stepNamed('execute_tool lookup_order');
    const refund = stepNamed('execute_tool issue_refund');

    expect(refund.intent?.request).toContain('cracked mug');
    expect(refund.authority?.credential).toMatchObject({ type: 'static_key', id: AUDIT_FACTS.refundsCredential.id });
    expect(refund.data?.resources).toEqual([AUDIT_FACTS.refundsEndpoint]);
    expect(refund.approval?.status).toBe('granted');
    expect(refund.approval?.decision?.decidedBy).toBe(AUDIT_FACTS.refundApprover);
    expect(lookup.data).toMatchObject({ resources: [AUDIT_FACTS.ordersTable], operation: 'read', classification: 'pii' });
    expect(timeline.findings.map((finding) => [finding.type, finding.stepSpanId])).toContainEqual(['long_lived_credential', refund.spanId]);
  });
});

describe('session pages in Chromium', () => {
  it('ask for a token and reject a wrong one', async () => {
    // A page of its own, because Chromium logs the 401 as a console error.
    const rejected = await browser.newPage();
    await rejected.goto(`${pipeline.apiUrl}/ui/sessions`);
    await rejected.getByLabel('Investigator token').fill('not-a-valid-token');
    await rejected.getByRole('button', { name: 'Continue' }).click();

    await expect.poll(() => rejected.getByRole('alert').textContent()).toContain('rejected the token');
    expect(await rejected.getByLabel('Investigator token').isVisible()).toBe(true);
    await rejected.close();
  });

  it('list the session and filter', async () => {
    await page.goto(`${pipeline.apiUrl}/ui/sessions`);
    await page.getByLabel('Investigator token').fill(pipeline.adminToken);
    await page.getByRole('button', { name: 'Continue' }).click();
    const row = page.locator(`tr[data-session-id="${sessionId}"]`);
    await row.waitFor();

    const text = await row.textContent();
    expect(text).toContain('support-agent');
    expect(text).toContain('demo-customer');
    expect(text).toContain('issue_refund');
    expect(text).toContain('granted');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'session-list.png') });

    await page.locator('input[name=tool]').fill('no_such_tool');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('No sessions match these filters.').waitFor();
    expect(page.url()).toContain('tool=no_such_tool');
    expect(await row.count()).toBe(0);

    await page.locator('input[name=tool]').fill('issue_refund');
    await page.locator('select[name=approval]').selectOption('granted');
    await page.getByRole('button', { name: 'Search' }).click();
    await row.waitFor();
    expect(page.url()).toContain('approval=granted');
  });

  it('show the waterfall with findings and approvals', async () => {
    await page.locator(`tr[data-session-id="${sessionId}"] a.session-link`).click();
    await page.locator('ol.waterfall li.step').first().waitFor();

    expect(page.url()).toBe(`${pipeline.apiUrl}/ui/sessions/${sessionId}`);
    expect(await page.locator('ol.waterfall li.step').count()).toBe(timeline.steps.length);
    const kinds = await page.locator('ol.waterfall li.step').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-kind')));
    expect(kinds).toEqual(timeline.steps.map((step) => step.kind));

    const findings = await page.locator('ul.findings').textContent();
    expect(findings).toContain('long_lived_credential');

    const refund = stepNamed('execute_tool issue_refund');
    const refundRow = page.locator(`li.step[data-span-id="${refund.spanId}"]`);
    expect(await refundRow.getAttribute('class')).toContain('has-finding');
    expect(await refundRow.locator('.step-summary').textContent()).toContain(`approval granted · ${AUDIT_FACTS.refundApprover}`);
    expect(await refundRow.locator('.tag.finding').textContent()).toBe('long_lived_credential');

    const lookup = stepNamed('execute_tool lookup_order');
    expect(await page.locator(`li.step[data-span-id="${lookup.spanId}"]`).getAttribute('class')).not.toContain('has-finding');
  });

  it('nest sub-agents under their agent', async () => {
    const nested = timeline.steps.filter((step) => step.kind === 'agent' && step.depth > 0);
    expect(nested.length).toBeGreaterThan(0);

    for (const step of nested) {
      const row = page.locator(`li.step[data-span-id="${step.spanId}"]`);
      expect(await row.locator('.step-label').getAttribute('style')).toBe(`padding-left: ${step.depth * 18}px;`);
    }
    expect(await page.locator('li.step[data-depth="0"] .step-label').first().getAttribute('style')).toBe('padding-left: 0px;');
  });

  it('show intent, authority, data and approval of a step', async () => {
    const refund = stepNamed('execute_tool issue_refund');
    const refundRow = page.locator(`li.step[data-span-id="${refund.spanId}"]`);
    await refundRow.locator('.step-summary').click();
    const facts = refundRow.locator('.step-facts');
    await facts.waitFor();

    expect(await facts.locator('section.intent').textContent()).toContain('cracked mug');
    const authority = await facts.locator('section.authority').textContent();
    expect(authority).toContain(`static_key ${AUDIT_FACTS.refundsCredential.id} (long_lived)`);
    expect(authority).toContain('support-team');
    const data = await facts.locator('section.data').textContent();
    expect(data).toContain(AUDIT_FACTS.refundsEndpoint);
    expect(data).toContain('write');
    const approval = await facts.locator('section.approval').textContent();
    expect(approval).toContain('granted');
    expect(approval).toContain(AUDIT_FACTS.refundPolicyRule);
    expect(approval).toContain(AUDIT_FACTS.refundApprover);
    expect(await facts.locator('ul.step-findings').textContent()).toContain('long_lived_credential');

    const lookup = stepNamed('execute_tool lookup_order');
    const lookupRow = page.locator(`li.step[data-span-id="${lookup.spanId}"]`);
    await lookupRow.locator('.step-summary').click();
    const lookupData = await lookupRow.locator('section.data').textContent();
    expect(lookupData).toContain(AUDIT_FACTS.ordersTable);
    expect(lookupData).toContain('pii');

    await page.screenshot({ path: path.join(SCREENSHOT_DIR, 'session-page.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
