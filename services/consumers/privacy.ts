// Opt-in pseudonymisation of personal data in the tables (PSEUDONYMIZATION_KEY). Names and e-mail
// addresses become keyed hashes (HMAC-SHA-256), the same for the same value everywhere, so
// analysts can still count and join on them but cannot read them back without the key. Free text
// keeps its words, with e-mail addresses (and the row's own names) replaced by their hashes.
// Which columns are personal is declared with each table (tables/<name>/table.ts); where Thena's
// payload names people, in tables/thena/people.ts.
import { createHmac } from 'node:crypto';
import type { Row } from '../../schemas/flattener.js';
import type { TableDefinition } from '../../schemas/table.js';
import {
  feedbacksMember,
  identityKeys,
  identityMember,
  nameKeys,
  namePartKeys,
  namesIn,
  personKeys,
} from '../../tables/thena/people.js';
import { ratersIn } from '../../tables/thena/feedbacks.js';
import { driftEntry, readDriftEntry } from '../../tables/drift/observe.js';

const emailPattern = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;

export interface Pseudonymizer {
  /** The pseudonym of one value: "p_" and 24 hex characters. */
  value(v: string): string;
  /** Free text with its e-mail addresses, and the given names, replaced by their pseudonyms. */
  text(v: string, names?: readonly string[]): string;
  /** A table row with its personal columns treated according to their declaration. */
  row(table: Pick<TableDefinition, 'columns' | 'privacy'>, row: Row): Row;
}

/** A payload-drift entry with its example's strings as keyed hashes; paths (field names) and kinds stay. */
const driftHashed =
  (value: (v: string) => string) =>
  (entry: string): string => {
    const found = readDriftEntry(entry);
    if (!found?.example) return entry;
    const hashed = (node: unknown): unknown => {
      if (typeof node === 'string') return value(node);
      if (Array.isArray(node)) return node.map(hashed);
      if (node !== null && typeof node === 'object') {
        return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, hashed(v)]));
      }
      return node;
    };
    let example: unknown;
    try {
      example = JSON.parse(found.example);
    } catch {
      example = found.example; // not written by observeDrift: hashed whole
    }
    return driftEntry({ ...found, example: JSON.stringify(hashed(example)) });
  };

export function pseudonymizer(key: string): Pseudonymizer {
  const value = (v: string) => `p_${createHmac('sha256', key).update(v).digest('hex').slice(0, 24)}`;
  const identity = (k: string, v: string) => (v === '' ? v : value(k === 'email' ? v.toLowerCase() : v));
  const text = (v: string, names: readonly string[] = []) => {
    let out = v.replace(emailPattern, (email) => value(email.toLowerCase()));
    // Longest first, so "ana lima" goes before "ana".
    for (const name of [...names].filter((n) => n.length >= 3).sort((a, b) => b.length - a.length)) {
      out = out.split(name).join(value(name));
    }
    return out;
  };
  /** `inPerson`: the node is a field of a person object; `names`: names to hide in texts. */
  const payload = (node: unknown, key: string | undefined, inPerson: boolean, names: string[]): unknown => {
    if (typeof node === 'string') {
      const k = key ?? '';
      if ((inPerson && identityKeys.has(k)) || nameKeys.has(k) || namePartKeys.has(k)) return identity(k, node);
      return node === '' ? node : text(node, names);
    }
    if (Array.isArray(node)) return node.map((item) => payload(item, undefined, false, names));
    if (node !== null && typeof node === 'object') {
      const person = personKeys.has(key ?? '');
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, payload(v, k, person, names)]));
    }
    return node;
  };
  /** JSON text with its personal fields and texts treated; text that does not parse, as best it can be. */
  const json = (v: string, names: string[]): string => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(v);
    } catch {
      const found = [...v.matchAll(feedbacksMember)].flatMap((m) => ratersIn(m[1]!));
      const members = v.replace(identityMember, (_m, k: string, colon: string, val: string) => {
        if (k === 'name' || nameKeys.has(k)) found.push(val);
        return `"${k}"${colon}"${identity(k, val)}"`;
      });
      return text(members, [...names, ...found]);
    }
    return JSON.stringify(payload(parsed, undefined, false, [...names, ...namesIn(parsed)]));
  };
  return {
    value,
    text,
    row(table, row) {
      const out: Row = { ...row };
      const names = [
        ...table.columns
          .filter((c) => c.personal === 'identity' && typeof row[c.name] === 'string')
          .map((c) => row[c.name] as string),
        ...(table.privacy?.namesInText?.(row) ?? []),
      ];
      for (const c of table.columns) {
        const v = row[c.name];
        if (c.personal === 'drift' && Array.isArray(v)) out[c.name] = v.map(driftHashed(value));
        if (typeof v !== 'string' || !c.personal) continue;
        if (c.personal === 'identity') out[c.name] = v === '' ? v : value(v);
        else if (c.personal === 'text') out[c.name] = text(v, names);
        else out[c.name] = json(v, names);
      }
      return out;
    },
  };
}
