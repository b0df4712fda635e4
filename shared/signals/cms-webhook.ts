import { ValidationError } from '../core/errors';
import { cmsRawAlarm } from './cms-fields';
import { decodeJsonPayload, type RawAlarm } from './raw-alarm';

/**
 * A CloudMonitor alarm callback body. CMS posts form-urlencoded fields; JSON bodies (older
 * docs, hand-made test calls) carry the same fields. With no content type the body's first
 * character decides.
 */
export function parseCmsCallback(body: string, contentType?: string): RawAlarm {
  const text = body.trim();
  if (text === '') throw new ValidationError(['(body): empty']);
  const json = contentType ? /\bjson\b/i.test(contentType) : text.startsWith('{');
  if (json) {
    const fields = decodeJsonPayload(text);
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      throw new ValidationError(['(body): must be a JSON object with the CMS alarm fields']);
    }
    return cmsRawAlarm(fields);
  }
  if (contentType && !/x-www-form-urlencoded/i.test(contentType) && !/text\/plain/i.test(contentType)) {
    throw new ValidationError([`(content-type): ${contentType} is not form-urlencoded or JSON`]);
  }
  // A repeated field keeps its first value, as most form parsers do.
  const fields: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) if (!(k in fields)) fields[k] = v;
  return cmsRawAlarm(fields);
}
