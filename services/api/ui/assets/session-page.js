import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, fetchJson } from './api.js';
import { formatDuration, formatTime, toEpochMs } from './format.js';
import { html } from './html.js';
import { StepFacts } from './step-facts.js';

// One session as a waterfall, with a row per step in the API's depth-first
// order. Rows are indented by depth, so sub-agents nest under the agent that
// started them, and each has a bar placed by start time and duration.
// Findings are marked on their steps, and approval decisions on the tool
// calls they gated.

const KINDS = ['agent', 'model_request', 'tool_call', 'data_access', 'approval', 'span'];

function summarize(timeline) {
  const starts = timeline.steps.map((step) => toEpochMs(step.displayStart ?? step.start)).filter(Number.isFinite);
  const ends = timeline.steps.map((step) => toEpochMs(step.end)).filter(Number.isFinite);
  const startMs = Math.min(...starts);
  const endMs = Math.max(...ends, startMs);
  const unique = (values) => [...new Set(values.filter((value) => value))];
  return {
    startMs,
    endMs,
    spanMs: Math.max(endMs - startMs, 0.001),
    agents: unique(timeline.steps.map((step) => step.agent)),
    principals: unique(timeline.steps.map((step) => step.authority?.principal ?? step.principal)),
  };
}

function ApprovalChip({ step }) {
  const status = step.approval;
  if (status && (status.required || status.decision)) {
    const by = status.decision?.decidedBy ? ` · ${status.decision.decidedBy}` : '';
    return html`<span class=${`tag approval approval-${status.status}`} title=${status.policyRule ? `rule ${status.policyRule}` : ''}>approval ${status.status}${by}</span>`;
  }
  if (step.kind === 'approval') {
    const decision = step.approvals?.[0];
    return decision ? html`<span class=${`tag approval approval-${decision.decision}`}>decision ${decision.decision}</span>` : null;
  }
  return null;
}

function StepRow({ step, summary, findings, gates, expanded, selected, onToggle }) {
  const startMs = toEpochMs(step.displayStart ?? step.start);
  const left = ((startMs - summary.startMs) / summary.spanMs) * 100;
  const width = Math.max((step.durationMs / summary.spanMs) * 100, 0.4);
  const classes = [
    'step',
    `kind-${step.kind}`,
    findings.length > 0 ? 'has-finding' : '',
    step.status === 'error' ? 'status-error' : '',
    selected ? 'selected' : '',
    expanded ? 'expanded' : '',
  ].join(' ');
  return html`
    <li id=${`step-${step.spanId}`} class=${classes} data-kind=${step.kind} data-span-id=${step.spanId} data-depth=${step.depth}>
      <button type="button" class="step-summary" aria-expanded=${expanded ? 'true' : 'false'} onClick=${onToggle}>
        <span class="step-label" style=${{ paddingLeft: `${step.depth * 18}px` }}>
          <span class=${`kind-badge kind-${step.kind}`}>${step.kind.replace('_', ' ')}</span>
          ${step.agentRelation && html`<span class="tag relation">${step.agentRelation.replace('_', '-')}</span>`}
          <span class="step-name">${step.name}</span>
          ${step.tool?.callId && html`<span class="muted call-id">${step.tool.callId}</span>`}
          <${ApprovalChip} step=${step} />
          ${gates.map((gated) => html`<span class="tag gates">gates ${gated.tool?.callId ?? gated.name}</span>`)}
          ${findings.map((finding) => html`<span class=${`tag finding severity-${finding.severity}`}>${finding.type}</span>`)}
        </span>
        <span class="step-track" aria-hidden="true">
          <span class="step-bar" style=${{ left: `${left.toFixed(3)}%`, width: `${Math.min(width, 100 - left).toFixed(3)}%` }}></span>
        </span>
        <span class="step-time">+${formatDuration(startMs - summary.startMs)} · ${formatDuration(step.durationMs)}</span>
      </button>
      ${expanded && html`<${StepFacts} step=${step} stepsBySpan=${summary.stepsBySpan} findings=${findings} />`}
    </li>`;
}

function FindingList({ findings, stepsBySpan, onSelect }) {
  if (findings.length === 0) return html`<p class="muted">No findings in this session.</p>`;
  return html`
    <ul class="findings">
      ${findings.map((finding) => {
        const step = stepsBySpan.get(finding.stepSpanId);
        return html`
          <li class=${`finding severity-${finding.severity}`} data-finding=${finding.type}>
            <span class=${`tag severity-${finding.severity}`}>${finding.severity}</span>
            <strong>${finding.type}</strong> ${finding.message}
            ${step && html` · <a href=${`#step-${step.spanId}`} onClick=${() => onSelect(step.spanId)}>${step.name}</a>`}
          </li>`;
      })}
    </ul>`;
}

export function SessionPage({ sessionId, onUnauthorized }) {
  const [timeline, setTimeline] = useState(null);
  const [error, setError] = useState(null);
  const [expanded, setExpanded] = useState(new Set());
  const [selected, setSelected] = useState(location.hash.startsWith('#step-') ? location.hash.slice(6) : null);

  useEffect(() => {
    fetchJson(`/v1/sessions/${encodeURIComponent(sessionId)}/timeline`)
      .then((body) => {
        setTimeline(body);
        if (selected) setExpanded(new Set([selected]));
      })
      .catch((caught) => {
        if (caught instanceof ApiError && caught.status === 401) onUnauthorized(caught.message);
        else setError(caught);
      });
  }, [sessionId]);

  const summary = useMemo(() => {
    if (timeline === null || timeline.steps.length === 0) return null;
    const base = summarize(timeline);
    const stepsBySpan = new Map(timeline.steps.map((step) => [step.spanId, step]));
    const findingsBySpan = new Map();
    for (const finding of timeline.findings) {
      findingsBySpan.set(finding.stepSpanId, [...(findingsBySpan.get(finding.stepSpanId) ?? []), finding]);
    }
    // An approval step gates the tool calls whose applied decision it recorded.
    const gatesBySpan = new Map();
    for (const step of timeline.steps) {
      const recordedOn = step.approval?.decision?.recordedOnSpanId;
      if (recordedOn && recordedOn !== step.spanId) gatesBySpan.set(recordedOn, [...(gatesBySpan.get(recordedOn) ?? []), step]);
    }
    return { ...base, stepsBySpan, findingsBySpan, gatesBySpan };
  }, [timeline]);

  useEffect(() => {
    if (selected && summary) document.getElementById(`step-${selected}`)?.scrollIntoView({ block: 'center' });
  }, [selected, summary]);

  if (error) {
    return html`<section class="session-page"><h1>Session ${sessionId}</h1>
      <p class="error" role="alert">${error.status === 404 ? 'No span of this session is stored.' : `Could not load the session: ${error.message}`}</p></section>`;
  }
  if (timeline === null) return html`<section class="session-page"><p class="muted">Loading session ${sessionId}…</p></section>`;
  if (summary === null) return html`<section class="session-page"><h1>Session ${sessionId}</h1><p class="muted">The session has no steps.</p></section>`;

  const toggle = (spanId) => {
    const next = new Set(expanded);
    if (next.has(spanId)) next.delete(spanId);
    else next.add(spanId);
    setExpanded(next);
    setSelected(spanId);
  };
  const select = (spanId) => {
    setExpanded(new Set([...expanded, spanId]));
    setSelected(spanId);
  };
  const allExpanded = expanded.size === timeline.steps.length;
  const counts = KINDS.map((kind) => [kind, timeline.steps.filter((step) => step.kind === kind).length]).filter(([, count]) => count > 0);

  return html`
    <section class="session-page">
      <p><a href="/ui/sessions">← Sessions</a></p>
      <h1>Session <code class="session-id">${timeline.sessionId}</code></h1>
      <dl class="session-summary">
        <div><dt>Time</dt><dd title=${`${timeline.steps[0]?.start ?? ''}`}>${formatTime(timeline.steps[0]?.start)} · ${formatDuration(summary.spanMs)}</dd></div>
        <div><dt>Agents</dt><dd>${summary.agents.join(', ') || '–'}</dd></div>
        <div><dt>Principals</dt><dd>${summary.principals.join(', ') || '–'}</dd></div>
        <div><dt>Traces</dt><dd>${timeline.traceIds.length}</dd></div>
        <div><dt>Steps</dt><dd>${counts.map(([kind, count]) => html`<span class=${`kind-badge kind-${kind}`}>${count} ${kind.replace('_', ' ')}</span>`)}</dd></div>
      </dl>
      <h2>Findings <span class="count">${timeline.findings.length}</span></h2>
      <${FindingList} findings=${timeline.findings} stepsBySpan=${summary.stepsBySpan} onSelect=${select} />
      <div class="waterfall-header">
        <h2>Steps</h2>
        <button type="button" class="secondary" onClick=${() => setExpanded(allExpanded ? new Set() : new Set(timeline.steps.map((step) => step.spanId)))}>
          ${allExpanded ? 'Collapse all' : 'Expand all'}
        </button>
      </div>
      <ol class="waterfall" aria-label="Steps of the session">
        ${timeline.steps.map((step) => html`
          <${StepRow}
            key=${step.spanId}
            step=${step}
            summary=${summary}
            findings=${summary.findingsBySpan.get(step.spanId) ?? []}
            gates=${summary.gatesBySpan.get(step.spanId) ?? []}
            expanded=${expanded.has(step.spanId)}
            selected=${selected === step.spanId}
            onToggle=${() => toggle(step.spanId)} />`)}
      </ol>
    </section>`;
}
