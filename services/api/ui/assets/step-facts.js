import { formatTime } from './format.js';
import { html } from './html.js';

// The investigator's facts of one step: intent, authority, data, approval,
// and what the step was (tool, model, status). An absent fact is shown as
// "not recorded", because its absence is itself evidence.

function Fact({ label, children }) {
  return html`<div class="fact"><dt>${label}</dt><dd>${children}</dd></div>`;
}

function orNone(value) {
  return value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)
    ? html`<span class="muted">not recorded</span>`
    : Array.isArray(value) ? value.join(', ') : String(value);
}

function IntentFacts({ intent }) {
  return html`
    <section class="facts intent" aria-label="Intent">
      <h4>Intent</h4>
      <dl>
        <${Fact} label="Session request">${orNone(intent?.request)}<//>
        <${Fact} label="Model output that chose it">${orNone(intent?.decision)}<//>
      </dl>
    </section>`;
}

function AuthorityFacts({ authority, principal }) {
  const credential = authority?.credential;
  return html`
    <section class="facts authority" aria-label="Authority">
      <h4>Authority</h4>
      <dl>
        <${Fact} label="Principal">${orNone(authority?.principal ?? principal)}${authority?.principalType ? ` (${authority.principalType})` : ''}<//>
        <${Fact} label="Agent">${orNone(authority?.agentId)}${authority?.agentOwner ? `, owned by ${authority.agentOwner}` : ''}<//>
        <${Fact} label="Environment">${orNone(authority?.environment)}<//>
        <${Fact} label="Credential">${credential
          ? `${credential.type}${credential.id ? ` ${credential.id}` : ''}${credential.lifetime ? ` (${credential.lifetime})` : ''}`
          : orNone(null)}<//>
        ${credential?.scopes?.length > 0 && html`<${Fact} label="Scopes">${credential.scopes.join(' ')}<//>`}
        <${Fact} label="Delegation">${orNone(authority?.delegationChain?.join(' → '))}<//>
      </dl>
    </section>`;
}

function DataFacts({ data }) {
  return html`
    <section class="facts data" aria-label="Data">
      <h4>Data</h4>
      <dl>
        <${Fact} label="Resources">${orNone(data?.resources)}<//>
        <${Fact} label="Operation">${orNone(data?.operation)}${data?.count != null ? `, ${data.count} item${data.count === 1 ? '' : 's'}` : ''}<//>
        <${Fact} label="Classification">${data?.classification
          ? html`<span class=${`tag classification-${data.classification}`}>${data.classification}</span>`
          : orNone(null)}<//>
      </dl>
    </section>`;
}

function describeDecision(decision) {
  if (!decision) return '';
  const parts = [decision.decision || 'no decision'];
  if (decision.decidedBy) parts.push(`by ${decision.decidedBy}`);
  if (decision.decidedAt) parts.push(`at ${formatTime(decision.decidedAt)}`);
  return parts.join(' ');
}

function describeTarget(record) {
  if (record.toolCallId) return ` for call ${record.toolCallId}`;
  if (record.toolName) return ` for ${record.toolName}`;
  return '';
}

function ApprovalFacts({ step, stepsBySpan }) {
  const status = step.approval;
  const recorded = step.approvals ?? [];
  const decidedOn = status?.decision ? stepsBySpan.get(status.decision.recordedOnSpanId) : undefined;
  return html`
    <section class="facts approval" aria-label="Approval">
      <h4>Approval</h4>
      <dl>
        ${status
          ? html`
            <${Fact} label="Status"><span class=${`tag approval-${status.status}`}>${status.status}</span>${status.required ? ' (required)' : ''}<//>
            <${Fact} label="Policy rule">${orNone(status.policyRule)}<//>
            <${Fact} label="Decision">${status.decision ? describeDecision(status.decision) : orNone(null)}<//>
            ${status.decision?.reason && html`<${Fact} label="Reason">${status.decision.reason}<//>`}
            ${decidedOn && decidedOn.spanId !== step.spanId && html`<${Fact} label="Recorded on"><a href=${`#step-${decidedOn.spanId}`}>${decidedOn.name}</a><//>`}`
          : recorded.length === 0 && html`<${Fact} label="Status">${orNone(null)}<//>`}
        ${recorded.map((record) => html`
          <${Fact} label="Decision recorded here">
            ${describeDecision(record)}${describeTarget(record)}
            ${record.policyRule ? ` under ${record.policyRule}` : ''}
          <//>`)}
      </dl>
    </section>`;
}

function StepIdentity({ step }) {
  return html`
    <section class="facts identity" aria-label="Step">
      <h4>Step</h4>
      <dl>
        <${Fact} label="Kind">${step.kind}${step.operation ? ` (${step.operation})` : ''}<//>
        <${Fact} label="Status">${step.status}${step.statusMessage ? `: ${step.statusMessage}` : ''}<//>
        ${step.tool && html`<${Fact} label="Tool">${step.tool.name}${step.tool.callId ? `, call ${step.tool.callId}` : ''}<//>`}
        ${step.model && html`<${Fact} label="Model">${step.model}${step.usage ? `, ${step.usage.inputTokens ?? '?'} in / ${step.usage.outputTokens ?? '?'} out tokens` : ''}<//>`}
        <${Fact} label="Started"><span title=${step.start}>${formatTime(step.start)}</span><//>
        <${Fact} label="Span">${step.traceId} / ${step.spanId}<//>
        ${step.notes?.length > 0 && html`<${Fact} label="Notes">${step.notes.join(' ')}<//>`}
      </dl>
    </section>`;
}

export function StepFacts({ step, stepsBySpan, findings }) {
  return html`
    <div class="step-facts" data-facts-for=${step.spanId}>
      ${findings.length > 0 && html`
        <ul class="step-findings">
          ${findings.map((finding) => html`<li class=${`severity-${finding.severity}`}><strong>${finding.type}</strong>: ${finding.message}</li>`)}
        </ul>`}
      <div class="facts-grid">
        <${IntentFacts} intent=${step.intent} />
        <${AuthorityFacts} authority=${step.authority} principal=${step.principal} />
        <${DataFacts} data=${step.data} />
        <${ApprovalFacts} step=${step} stepsBySpan=${stepsBySpan} />
        <${StepIdentity} step=${step} />
      </div>
    </div>`;
}
