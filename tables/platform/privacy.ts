// Privacy rules the platform tables share (the opt-in pseudonymisation, services/consumers/privacy.ts).
import type { PrivacyRules } from '../../schemas/table.js';
import { namesIn } from '../thena/people.js';

/**
 * A platform row's texts (title, summary, comment text) may name people the row has no identity
 * column for, such as the ticket's customer: every full name the event's body gives is hidden there.
 */
export const platformPrivacy: PrivacyRules = {
  namesInText: (row) => {
    if (typeof row.payload_json !== 'string') return [];
    try {
      return namesIn(JSON.parse(row.payload_json));
    } catch {
      return [];
    }
  },
};
