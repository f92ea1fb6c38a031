import { useEffect, useState } from 'preact/hooks';
import { ApiError, fetchJson } from './api.js';
import { formatTime, fromLocalInput, toLocalInput } from './format.js';
import { html } from './html.js';

// The session list with the filters of GET /v1/sessions. The filters live in
// the page's query string, so a filtered list can be bookmarked and shared.

const TEXT_FILTERS = [
  ['agent', 'Agent', 'name or id'],
  ['principal', 'Principal', 'user or service id'],
  ['tool', 'Tool', 'tool name'],
  ['resource', 'Resource', 'resource URI'],
];
const APPROVALS = ['granted', 'denied', 'expired', 'pending'];
const FINDINGS = [
  'unapproved_tool_call',
  'action_after_denial',
  'out_of_scope_tool',
  'principal_mismatch',
  'long_lived_credential',
  'sensitive_read_then_egress',
  'identity_mismatch',
];
const FILTER_NAMES = ['from', 'to', 'agent', 'principal', 'tool', 'resource', 'approval', 'finding'];

function readFilters() {
  const params = new URLSearchParams(location.search);
  return Object.fromEntries(FILTER_NAMES.map((name) => [name, params.get(name) ?? '']));
}

function buildQuery(filters, cursor) {
  const params = new URLSearchParams();
  for (const name of FILTER_NAMES) if (filters[name]) params.set(name, filters[name]);
  if (cursor) params.set('cursor', cursor);
  return params.toString();
}

function FilterForm({ filters, onApply }) {
  const [draft, setDraft] = useState(filters);
  const set = (name) => (event) => setDraft({ ...draft, [name]: event.currentTarget.value });
  const submit = (event) => {
    event.preventDefault();
    onApply(draft);
  };
  const clear = () => {
    const empty = Object.fromEntries(FILTER_NAMES.map((name) => [name, '']));
    setDraft(empty);
    onApply(empty);
  };
  return html`
    <form class="filters" onSubmit=${submit} aria-label="Session filters">
      <label>From<input type="datetime-local" name="from" value=${toLocalInput(draft.from)}
        onInput=${(event) => setDraft({ ...draft, from: fromLocalInput(event.currentTarget.value) })} /></label>
      <label>To<input type="datetime-local" name="to" value=${toLocalInput(draft.to)}
        onInput=${(event) => setDraft({ ...draft, to: fromLocalInput(event.currentTarget.value) })} /></label>
      ${TEXT_FILTERS.map(([name, label, placeholder]) => html`
        <label>${label}<input type="text" name=${name} placeholder=${placeholder} value=${draft[name]} onInput=${set(name)} /></label>`)}
      <label>Approval<select name="approval" value=${draft.approval} onChange=${set('approval')}>
        <option value="">any</option>
        ${APPROVALS.map((value) => html`<option value=${value}>${value}</option>`)}
      </select></label>
      <label>Finding<select name="finding" value=${draft.finding} onChange=${set('finding')}>
        <option value="">any</option>
        ${FINDINGS.map((value) => html`<option value=${value}>${value}</option>`)}
      </select></label>
      <div class="filter-actions">
        <button type="submit">Search</button>
        <button type="button" class="secondary" onClick=${clear}>Clear</button>
      </div>
    </form>`;
}

function Tags({ values, kind }) {
  if (!values || values.length === 0) return html`<span class="muted">–</span>`;
  return values.map((value) => html`<span class=${`tag ${kind ?? ''} ${kind ? `${kind}-${value}` : ''}`}>${value}</span>`);
}

function SessionRow({ session }) {
  return html`
    <tr data-session-id=${session.sessionId}>
      <td title=${session.start}>${formatTime(session.start)}</td>
      <td><a class="session-link" href=${`/ui/sessions/${encodeURIComponent(session.sessionId)}`}>${session.sessionId}</a></td>
      <td><${Tags} values=${session.agents} /></td>
      <td><${Tags} values=${session.principals} /></td>
      <td><${Tags} values=${session.tools} /></td>
      <td><${Tags} values=${session.approvalDecisions} kind="approval" /></td>
      <td><${Tags} values=${session.findingTypes} kind="finding" /></td>
      <td class="number">${session.traceCount}</td>
    </tr>`;
}

export function SessionList({ onUnauthorized }) {
  const [filters, setFilters] = useState(readFilters());
  const [sessions, setSessions] = useState([]);
  const [nextCursor, setNextCursor] = useState(null);
  const [state, setState] = useState({ loading: true, error: null });

  const load = async (activeFilters, cursor) => {
    setState({ loading: true, error: null });
    try {
      const page = await fetchJson(`/v1/sessions?${buildQuery(activeFilters, cursor)}`);
      setSessions((previous) => (cursor ? [...previous, ...page.sessions] : page.sessions));
      setNextCursor(page.nextCursor);
      setState({ loading: false, error: null });
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return onUnauthorized(error.message);
      setState({ loading: false, error: error.message });
    }
  };

  useEffect(() => {
    load(filters, null);
  }, [filters]);

  const apply = (next) => {
    const query = buildQuery(next, null);
    history.pushState(null, '', query ? `/ui/sessions?${query}` : '/ui/sessions');
    setFilters(next);
  };

  return html`
    <section class="session-list">
      <h1>Sessions</h1>
      <${FilterForm} filters=${filters} onApply=${apply} />
      ${state.error && html`<p class="error" role="alert">Could not load sessions: ${state.error}</p>`}
      <table class="sessions">
        <thead><tr><th>Start</th><th>Session</th><th>Agents</th><th>Principals</th><th>Tools</th><th>Approvals</th><th title="The API lists finding types when the Finding filter is set">Findings</th><th>Traces</th></tr></thead>
        <tbody>${sessions.map((session) => html`<${SessionRow} key=${session.sessionId} session=${session} />`)}</tbody>
      </table>
      ${!state.loading && sessions.length === 0 && !state.error && html`<p class="muted empty">No sessions match these filters.</p>`}
      ${state.loading && html`<p class="muted">Loading…</p>`}
      ${nextCursor && !state.loading && html`<button type="button" class="secondary" onClick=${() => load(filters, nextCursor)}>Load more</button>`}
    </section>`;
}
