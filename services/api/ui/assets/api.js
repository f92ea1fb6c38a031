// Calls to the timeline API with the investigator's bearer token. The token
// lives in sessionStorage: it survives a reload but not the browser tab.

const TOKEN_KEY = 'agent-audit.investigator-token';

export function readToken() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function saveToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token.trim());
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
  }
}

/** GETs an API path and returns its JSON body; an error status becomes an ApiError with the problem detail. */
export async function fetchJson(path) {
  const token = readToken();
  if (!token) throw new ApiError(401, 'an investigator token is needed');
  const response = await fetch(path, { headers: { Authorization: `Bearer ${token}`, Accept: 'application/json' } });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const problem = await response.json();
      if (typeof problem.detail === 'string') detail = problem.detail;
    } catch {
      // A body that is not problem JSON keeps the status text.
    }
    throw new ApiError(response.status, detail);
  }
  return response.json();
}
