// Loaded into one consumer process by the poison fault test (`node --import`), never by the
// services themselves: the flattener of the process's table throws for every message holding
// THENA_TEST_POISON_MARKER, as a flattener bug would for one unusual message. The services know
// nothing of it; the fault test starts the process with it, and later without it (the "fix").
import { tableOfService } from '../../tables/catalogue.js';

const marker = process.env.THENA_TEST_POISON_MARKER;
const table = tableOfService(process.argv[2] ?? '');
if (!marker || !table) throw new Error('poison-flattener: THENA_TEST_POISON_MARKER and a consumer service are needed');
const consumer = table.consumer as { flatten: typeof table.consumer.flatten };
const flatten = consumer.flatten;
consumer.flatten = (message) => {
  if (message.value.includes(marker)) throw new Error(`the test poisoned this message (${marker})`);
  return flatten(message);
};
