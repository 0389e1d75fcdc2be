// The baseline for bench/ingress.ts: a Fastify route that takes the same body the same way
// (as a string, under the same limit) and answers 202 without doing anything with it.
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 });
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => done(null, body));
app.post('/webhooks/thena', async (_req, reply) => reply.code(202).send({ status: 'accepted' }));
const port = Number(process.argv[2] ?? 0);
const address = await app.listen({ port, host: '127.0.0.1' });
process.stdout.write(`listening ${address}\n`);
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
