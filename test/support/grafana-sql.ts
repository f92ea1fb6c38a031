// Expands a panel's SQL the way Grafana and its ClickHouse plugin do before
// the query reaches ClickHouse: $__conditionalAll first (the plugin's front
// end), then dashboard variables (Grafana's template service), then the
// plugin's backend macros. Only the macros and variable formats the audit
// dashboards use are supported; anything left over fails the expansion.

export interface GrafanaQueryContext {
  fromMs: number;
  toMs: number;
  intervalSeconds: number;
  /** Variable values; 'all' stands for the "All" option of a multi-value variable. */
  variables: Record<string, string[] | 'all'>;
}

/** Finds `name(` in text and returns the balanced argument list after it, split at top-level commas. */
function findCall(text: string, name: string, from = 0): { start: number; end: number; args: string[] } | null {
  const start = text.indexOf(`${name}(`, from);
  if (start === -1) return null;
  const args: string[] = [];
  let depth = 0;
  let current = '';
  let quote: string | null = null;
  for (let index = start + name.length; index < text.length; index += 1) {
    const char = text[index]!;
    if (quote !== null) {
      current += char;
      if (char === quote) quote = null;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      current += char;
      continue;
    }
    if (char === '(') {
      depth += 1;
      if (depth === 1) continue;
    } else if (char === ')') {
      depth -= 1;
      if (depth === 0) {
        args.push(current.trim());
        return { start, end: index + 1, args };
      }
    } else if (char === ',' && depth === 1) {
      args.push(current.trim());
      current = '';
      continue;
    }
    current += char;
  }
  throw new Error(`unbalanced parentheses after ${name} in: ${text}`);
}

function replaceCalls(text: string, name: string, expand: (args: string[]) => string): string {
  let result = text;
  let call = findCall(result, name);
  while (call !== null) {
    const replacement = expand(call.args);
    result = result.slice(0, call.start) + replacement + result.slice(call.end);
    call = findCall(result, name, call.start + replacement.length);
  }
  return result;
}

function quote(value: string): string {
  return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`;
}

function variableValues(context: GrafanaQueryContext, name: string): string[] | 'all' {
  const values = context.variables[name];
  if (values === undefined) throw new Error(`dashboard variable $${name} has no value in the test`);
  return values;
}

function formatVariable(context: GrafanaQueryContext, name: string, format: string | undefined, allValues: (name: string) => string[]): string {
  const selected = variableValues(context, name);
  const values = selected === 'all' ? allValues(name) : selected;
  if (format === 'singlequote') return values.map(quote).join(',');
  if (format === undefined) return values.join(',');
  throw new Error(`variable format :${format} is not supported by the test expansion`);
}

/**
 * Expands Grafana macros and variables. allValues returns every value of a
 * variable for the "All" option outside $__conditionalAll.
 */
export function expandGrafanaSql(sql: string, context: GrafanaQueryContext, allValues: (name: string) => string[] = () => []): string {
  const fromSeconds = Math.floor(context.fromMs / 1000);
  const toSeconds = Math.floor(context.toMs / 1000);

  let text = replaceCalls(sql, '$__conditionalAll', (args) => {
    const [condition, variable] = args;
    if (condition === undefined || variable === undefined) throw new Error(`$__conditionalAll needs two arguments in: ${sql}`);
    const name = variable.replace(/^\$\{?/, '').replace(/\}$/, '');
    return variableValues(context, name) === 'all' ? '1=1' : condition;
  });

  text = text.replace(/\$\{(\w+)(?::(\w+))?\}/g, (_match, name: string, format: string | undefined) =>
    name.startsWith('__') ? _match : formatVariable(context, name, format, allValues),
  );
  text = text.replace(/\$(?!__)(\w+)/g, (_match, name: string) => formatVariable(context, name, undefined, allValues));

  text = replaceCalls(text, '$__timeFilter', ([column]) => `${column} >= toDateTime(${fromSeconds}) AND ${column} <= toDateTime(${toSeconds})`);
  text = replaceCalls(
    text,
    '$__timeInterval',
    ([column]) => `toStartOfInterval(toDateTime(${column}), INTERVAL ${Math.max(1, context.intervalSeconds)} second)`,
  );
  text = text
    .replaceAll('$__fromTime', `toDateTime(${fromSeconds})`)
    .replaceAll('$__toTime', `toDateTime(${toSeconds})`)
    .replaceAll('$__interval_s', String(context.intervalSeconds));

  const leftover = /\$\{?[\w.]+/.exec(text);
  if (leftover !== null) throw new Error(`unexpanded Grafana syntax ${leftover[0]} in: ${text}`);
  return text;
}
