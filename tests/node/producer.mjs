// The platform backend's side of the flow-runs queue, with the npm `bullmq` client: add jobs
// (the job id is the idempotency key), wait until a worker finishes them, read their results.
// Input (stdin, JSON): {url, prefix, queue, jobs: [{id, data}], timeoutMs}.
// Output (stdout, JSON): [{id, state, attemptsMade, returnvalue, failedReason}].
import { Job, Queue, QueueEvents } from "bullmq";
import { Redis } from "ioredis";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const request = JSON.parse(Buffer.concat(chunks).toString("utf8"));
// Clients made here (native ESM cannot let BullMQ load ioredis), so closed here as well.
const clients = [1, 2].map(() => new Redis(request.url, { maxRetriesPerRequest: null }));
const queue = new Queue(request.queue, { connection: clients[0], prefix: request.prefix });
const events = new QueueEvents(request.queue, { connection: clients[1], prefix: request.prefix });
await events.waitUntilReady();

const added = [];
for (const { id, data } of request.jobs) {
  added.push(
    await queue.add(data.flow ?? "flow-run", data, {
      jobId: id,
      attempts: 3,
      backoff: { type: "exponential", delay: 200 },
    }),
  );
}
const outcomes = [];
for (const job of added) {
  try {
    await job.waitUntilFinished(events, request.timeoutMs);
  } catch {
    // a failed job: its state and reason are read below
  }
  const stored = await Job.fromId(queue, job.id);
  outcomes.push({
    id: stored.id,
    state: await stored.getState(),
    attemptsMade: stored.attemptsMade,
    returnvalue: stored.returnvalue,
    failedReason: stored.failedReason ?? null,
  });
}
process.stdout.write(JSON.stringify(outcomes));
await events.close();
await queue.close();
await Promise.all(clients.map((client) => client.quit()));
