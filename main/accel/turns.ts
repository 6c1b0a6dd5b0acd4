/*
 * The end of a turn of the event loop, shared by the answers waiting for it and the cooperative work that yields to it.
 *
 * Answers (turnEnd). A response written at once wakes its client (one socket write, one wake-up of the reader) before
 * the server reads the next request that is already waiting. On loopback the wake-up runs in the writer's system call:
 * measured on a 2-vCPU VM under wrk at 4 connections, it was 20 µs of a single-row prediction's 115 µs on the HTTP
 * thread, most of its system time. Predictions whose requests arrived in one turn (libuv's poll phase hands over every
 * ready socket before its check phase) are written one after another in that turn's check phase instead: the first
 * write wakes the client, the rest find it awake. A lone request waits one hop of the loop (microseconds) for it.
 * At most `maxAnswers` wait: each holds its request's objects (parsed body, Fastify's request and reply, Node's), and a
 * young-generation collection that finds sixteen of them alive copies them all. Unbounded, at 16 connections, that
 * doubled the collections' time (1.5 → 3.2 ms each) and put the p99 past 5 ms.
 *
 * Cooperative work (nextTurn): a long job on the serving thread (a rules check, a compression's preparation) runs in
 * slices and yields between them. Yielding with setImmediate queued its next slice in the check phase ahead of the
 * answers that arrived meanwhile, and a prediction waited a whole slice more (median 8.5 → 18 ms during a rules
 * check). Here one immediate per turn releases that turn's answers first, then resumes the work that yielded.
 */

const maxAnswers = 4;
let answers: (() => void)[] = [];
let yielders: (() => void)[] = [];
let scheduled = false;

function releaseAnswers(): void {
  const now = answers;
  answers = [];
  for (const resolve of now) resolve();
}

function endOfTurn(): void {
  scheduled = false;
  // Resolved first, so the answers' continuations are ahead of the resumed work's in the microtask queue.
  releaseAnswers();
  const resumed = yielders;
  yielders = [];
  for (const resolve of resumed) resolve();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(endOfTurn);
}

/** Resolves in the check phase of this turn of the event loop, or at once with the batch that fills it. */
export function turnEnd(): Promise<void> {
  return new Promise((resolve) => {
    if (answers.push(resolve) >= maxAnswers) releaseAnswers();
    else schedule();
  });
}

/**
 * Resolves at the next end of a turn, after that turn's answers (turnEnd): where cooperative work yields. Called
 * during a turn's I/O it is that turn's end; called from an end of turn (the work's previous slice), the next turn's,
 * so I/O is polled in between.
 */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    yielders.push(resolve);
    schedule();
  });
}
