import { render } from 'preact';
import { useState } from 'preact/hooks';
import { forgetToken, readToken, saveToken } from './api.js';
import { html } from './html.js';
import { SessionList } from './session-list.js';
import { SessionPage } from './session-page.js';

function TokenPrompt({ message, onSubmit }) {
  const [value, setValue] = useState('');
  const submit = (event) => {
    event.preventDefault();
    if (value.trim() !== '') onSubmit(value);
  };
  return html`
    <form class="token-prompt" onSubmit=${submit}>
      <h1>Agent audit trail</h1>
      <p>Enter your investigator token. It is kept in this browser tab only and sent as a bearer token to the timeline API.</p>
      ${message && html`<p class="error" role="alert">${message}</p>`}
      <label for="token">Investigator token</label>
      <input id="token" name="token" type="password" autocomplete="off" value=${value} onInput=${(event) => setValue(event.currentTarget.value)} />
      <button type="submit">Continue</button>
    </form>`;
}

/** Reads the session id of a /ui/sessions/{id} path; null stands for the list. */
function readSessionId(pathname) {
  const match = /^\/ui\/sessions\/([^/]+)\/?$/.exec(pathname);
  return match === null ? null : decodeURIComponent(match[1]);
}

function App() {
  const [token, setToken] = useState(readToken());
  const [message, setMessage] = useState(null);

  const onUnauthorized = (detail) => {
    forgetToken();
    setMessage(`The API rejected the token: ${detail}`);
    setToken(null);
  };
  const onSignOut = () => {
    forgetToken();
    setMessage(null);
    setToken(null);
  };

  if (!token) {
    return html`<${TokenPrompt} message=${message} onSubmit=${(value) => { saveToken(value); setMessage(null); setToken(readToken()); }} />`;
  }

  const sessionId = readSessionId(location.pathname);
  return html`
    <header class="top">
      <a href="/ui/sessions" class="brand">Agent audit trail</a>
      <nav><a href="/ui/sessions">Sessions</a></nav>
      <button type="button" class="link" onClick=${onSignOut}>Forget token</button>
    </header>
    ${sessionId === null
      ? html`<${SessionList} onUnauthorized=${onUnauthorized} />`
      : html`<${SessionPage} sessionId=${sessionId} onUnauthorized=${onUnauthorized} />`}`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
