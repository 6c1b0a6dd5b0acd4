// The peer for REST latency: a bare Fastify route that parses the same JSON body and answers a fixed prediction.
import Fastify from 'fastify';

const app = Fastify({ logger: false });
app.post('/v1/models/:name/predict', async (request) => {
  const body = request.body as { rows: unknown[] };
  return { model: 'bare', version: 1, predictions: body.rows.map(() => ({ label: 'None', probabilities: { None: 1 } })) };
});
const url = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ url })}\n`);
