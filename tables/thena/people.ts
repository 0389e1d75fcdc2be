// Where Thena's payloads (request webhooks, platform events) name people: for the opt-in
// pseudonymisation of payload columns.
import { ratersIn } from './feedbacks.js';

/**
 * Objects of Thena's payloads that describe a person, and their fields that identify one. The
 * request webhook's, then the platform events' (actor, a ticket's customer and assignedAgent, a
 * comment's author).
 */
export const personKeys: ReadonlySet<string> = new Set([
  'requestor',
  'sender',
  'assignedTo',
  'assignedBy',
  'closed_by',
  'user',
  'actor',
  'customer',
  'assignedAgent',
  'author',
]);
export const identityKeys: ReadonlySet<string> = new Set(['email', 'name', 'firstName', 'lastName']);
/** Fields that name a person wherever they appear (platform events: a display name given as a string). */
export const nameKeys: ReadonlySet<string> = new Set([
  'customer_name',
  'author',
  'assignedAgent',
  'impersonatedUserName',
]);
/**
 * Fields that hold part of a person's name wherever they appear: pseudonymised, but not hidden in
 * free text, where a first or last name alone is too common a word.
 */
export const namePartKeys: ReadonlySet<string> = new Set(['customerContactFirstName', 'customerContactLastName']);

/**
 * Full names found in a payload, to hide wherever free text repeats them: person objects' `name`,
 * `customer_name` and the other nameKeys, a customer contact's first and last name together, and
 * the raters inside `feedbacks` (first and last names alone are too common).
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
    const { customerContactFirstName: first, customerContactLastName: last } = node as Record<string, unknown>;
    if (typeof first === 'string' && typeof last === 'string') out.push(`${first} ${last}`);
  }
  return out;
}

/** `"name": "…"`-style members (and CSAT texts, for their raters) of text that should have been JSON. */
export const identityMember =
  /"(email|name|firstName|lastName|customer_name|author|assignedAgent|impersonatedUserName|customerContactFirstName|customerContactLastName)"(\s*:\s*)"((?:[^"\\]|\\.)*)"/g;
export const feedbacksMember = /"feedbacks"\s*:\s*"((?:[^"\\]|\\.)*)"/g;
