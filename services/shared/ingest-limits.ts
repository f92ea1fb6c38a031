import type { AnyValue, KeyValue, TracesData } from '../../schemas/otlp.ts';
import type { IngestLimits } from './security-config.ts';

// Limits on what one request may contain, checked after decoding and before
// anything is stored. A request over a limit is rejected whole, because
// storing it in part would silently lose what an investigator may need.

export interface LimitViolation {
  /** 413 for too many spans, 400 for everything else. */
  httpStatus: 400 | 413;
  message: string;
}

/**
 * Returns the structural nesting depth of a JSON body, counting objects and
 * arrays and skipping strings, or stops early once `max` is passed. Checked
 * before parsing so that a deeply nested body never reaches the recursive
 * schema validation. Works on UTF-8 bytes because the bytes of `{`, `[`, `"`
 * and `\` never occur inside a multi-byte character.
 */
export function measureJsonDepth(body: Uint8Array, max: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < body.length; index += 1) {
    const code = body[index];
    if (inString) {
      if (code === 0x5c) index += 1;
      else if (code === 0x22) inString = false;
      continue;
    }
    if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) {
      depth += 1;
      if (depth > deepest) {
        deepest = depth;
        if (deepest > max) return deepest;
      }
    } else if (code === 0x7d || code === 0x5d) depth -= 1;
  }
  return deepest;
}

/**
 * The deepest JSON nesting an OTLP body within the limits can have: the
 * request structure takes about ten levels down to a span's attribute value,
 * and each nested array or key-value list adds up to four.
 */
export function maxJsonDepthFor(limits: IngestLimits): number {
  return 12 + 4 * (limits.maxNestingDepth + 1);
}

interface Walk {
  limits: IngestLimits;
  violation: LimitViolation | null;
}

function checkValue(value: AnyValue, depth: number, key: string, walk: Walk): void {
  if (walk.violation !== null) return;
  const { limits } = walk;
  if ('stringValue' in value && value.stringValue.length > limits.maxValueLength) {
    walk.violation = {
      httpStatus: 400,
      message: `attribute "${key}" has a value of ${value.stringValue.length} characters; the limit is ${limits.maxValueLength}`,
    };
  } else if ('bytesValue' in value && value.bytesValue.length > limits.maxValueLength) {
    walk.violation = {
      httpStatus: 400,
      message: `attribute "${key}" has a value of ${value.bytesValue.length} bytes; the limit is ${limits.maxValueLength}`,
    };
  } else if ('arrayValue' in value || 'kvlistValue' in value) {
    if (depth >= limits.maxNestingDepth) {
      walk.violation = {
        httpStatus: 400,
        message: `attribute "${key}" nests arrays or key-value lists deeper than the limit of ${limits.maxNestingDepth}`,
      };
      return;
    }
    if ('arrayValue' in value) {
      for (const item of value.arrayValue.values) checkValue(item, depth + 1, key, walk);
    } else {
      checkAttributes(value.kvlistValue.values, depth + 1, key, walk);
    }
  }
}

function checkAttributes(attributes: readonly KeyValue[], depth: number, parentKey: string | null, walk: Walk): void {
  const { limits } = walk;
  if (attributes.length > limits.maxAttributesPerSpan) {
    walk.violation = {
      httpStatus: 400,
      message: `${parentKey === null ? 'an attribute list' : `attribute "${parentKey}"`} has ${attributes.length} entries; the limit is ${limits.maxAttributesPerSpan}`,
    };
    return;
  }
  for (const attribute of attributes) {
    if (walk.violation !== null) return;
    if (attribute.key.length > limits.maxValueLength) {
      walk.violation = { httpStatus: 400, message: `an attribute key is ${attribute.key.length} characters long; the limit is ${limits.maxValueLength}` };
      return;
    }
    checkValue(attribute.value, depth, parentKey === null ? attribute.key : `${parentKey}.${attribute.key}`, walk);
  }
}

function checkText(text: string, field: string, walk: Walk): void {
  if (walk.violation === null && text.length > walk.limits.maxValueLength) {
    walk.violation = { httpStatus: 400, message: `${field} is ${text.length} characters long; the limit is ${walk.limits.maxValueLength}` };
  }
}

/** Checks decoded trace data against the limits; returns the first violation, or null. */
export function checkIngestLimits(data: TracesData, limits: IngestLimits, rejectedSpans = 0): LimitViolation | null {
  let spans = rejectedSpans;
  for (const resourceSpans of data.resourceSpans) {
    for (const scopeSpans of resourceSpans.scopeSpans) spans += scopeSpans.spans.length;
  }
  if (spans > limits.maxSpansPerRequest) {
    return {
      httpStatus: 413,
      message: `request holds ${spans} spans; the limit is ${limits.maxSpansPerRequest} per request, so send smaller batches`,
    };
  }

  const walk: Walk = { limits, violation: null };
  for (const resourceSpans of data.resourceSpans) {
    checkAttributes(resourceSpans.resource.attributes, 0, null, walk);
    for (const scopeSpans of resourceSpans.scopeSpans) {
      checkAttributes(scopeSpans.scope.attributes, 0, null, walk);
      checkText(scopeSpans.scope.name, 'a scope name', walk);
      for (const span of scopeSpans.spans) {
        checkText(span.name, 'a span name', walk);
        checkText(span.status.message, 'a status message', walk);
        checkText(span.traceState, 'a trace state', walk);
        checkAttributes(span.attributes, 0, null, walk);
        if (walk.violation === null && span.events.length > limits.maxEventsPerSpan) {
          walk.violation = {
            httpStatus: 400,
            message: `a span has ${span.events.length} events; the limit is ${limits.maxEventsPerSpan}`,
          };
        }
        if (walk.violation === null && span.links.length > limits.maxEventsPerSpan) {
          walk.violation = {
            httpStatus: 400,
            message: `a span has ${span.links.length} links; the limit is ${limits.maxEventsPerSpan}`,
          };
        }
        for (const event of span.events) {
          checkText(event.name, 'an event name', walk);
          checkAttributes(event.attributes, 0, null, walk);
        }
        for (const link of span.links) checkAttributes(link.attributes, 0, null, walk);
        if (walk.violation !== null) return walk.violation;
      }
    }
    if (walk.violation !== null) return walk.violation;
  }
  return walk.violation;
}
