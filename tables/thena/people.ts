// Where Thena's request payload names people: for the opt-in pseudonymisation of payload columns.
import { ratersIn } from './feedbacks.js';

/** Objects of Thena's payload that describe a person, and their fields that identify one. */
export const personKeys: ReadonlySet<string> = new Set([
  'requestor',
  'sender',
  'assignedTo',
  'assignedBy',
  'closed_by',
  'user',
]);
export const identityKeys: ReadonlySet<string> = new Set(['email', 'name', 'firstName', 'lastName']);
/** Fields that name a person wherever they appear. */
export const nameKeys: ReadonlySet<string> = new Set(['customer_name']);

/**
 * Full names found in a payload, to hide wherever free text repeats them: person objects' `name`,
 * `customer_name`, and the raters inside `feedbacks` (first and last names alone are too common).
 */
export function namesIn(node: unknown, key?: string, inPerson = false, out: string[] = []): string[] {
  if (typeof node === 'string') {
    if ((inPerson && key === 'name') || nameKeys.has(key ?? '')) out.push(node);
    else if (key === 'feedbacks') out.push(...ratersIn(node));
  } else if (Array.isArray(node)) {
    for (const item of node) namesIn(item, undefined, false, out);
  } else if (node !== null && typeof node === 'object') {
    const person = personKeys.has(key ?? '');
    for (const [k, v] of Object.entries(node)) namesIn(v, k, person, out);
  }
  return out;
}

/** `"name": "…"`-style members (and CSAT texts, for their raters) of text that should have been JSON. */
export const identityMember = /"(email|name|firstName|lastName|customer_name)"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g;
export const feedbacksMember = /"feedbacks"\s*:\s*"((?:[^"\\]|\\.)*)"/g;
