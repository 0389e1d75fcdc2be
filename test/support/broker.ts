// The tests' own Kafka brokers: each lives for one file (or one run), so each starts with the
// short-lived JVM (infra/kafka/kafka.ts, `jvm`), which spends less of the two cores compiling.
import { startKafka, type KafkaOptions, type LocalKafka } from '../../infra/kafka/kafka.js';

export const startTestKafka = (o: KafkaOptions): Promise<LocalKafka> => startKafka({ jvm: 'short-lived', ...o });
