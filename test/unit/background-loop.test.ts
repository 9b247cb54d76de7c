import { BackgroundLoop } from '../../src/background-loop';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const until = async (condition: () => boolean, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
};

describe('BackgroundLoop', () => {
  it('runs one pass at a time, each after the delay the last one asked for, until stopped', async () => {
    const started: number[] = [];
    let inPass = 0;
    let overlapped = false;
    const loop = new BackgroundLoop(async () => {
      started.push(Date.now());
      inPass += 1;
      overlapped ||= inPass > 1;
      await sleep(20);
      inPass -= 1;
      return 50;
    });
    loop.start();
    loop.wake(); // a pass is due at once anyway: no second one beside it
    await until(() => started.length >= 3);
    await loop.stop();
    const passes = started.length;
    expect(overlapped).toBe(false);
    // 20 ms of work + 50 ms of pause: passes start at least ~70 ms apart.
    for (let index = 1; index < passes; index += 1) expect(started[index] - started[index - 1]).toBeGreaterThanOrEqual(65);
    await sleep(150);
    expect(started.length).toBe(passes);
    expect(loop.isStopped).toBe(true);
  });

  it('stop waits for the pass in hand, and wake starts the next one at once', async () => {
    let begun = 0;
    let finished = 0;
    const loop = new BackgroundLoop(async () => {
      begun += 1;
      await sleep(80);
      finished += 1;
      return 60_000;
    });
    loop.start();
    await until(() => begun === 1);
    await loop.stop();
    expect(finished).toBe(1);

    loop.start();
    await until(() => finished === 2);
    await sleep(100);
    expect(finished).toBe(2); // the next pass is a minute away…
    loop.wake();
    await until(() => finished === 3); // …unless woken
    await loop.stop();
  });

  it('keeps going after a pass that threw', async () => {
    let calls = 0;
    const loop = new BackgroundLoop(async () => {
      calls += 1;
      if (calls === 1) throw new Error('store down');
      return 60_000;
    });
    loop.start();
    await until(() => calls === 2);
    await loop.stop();
    expect(calls).toBe(2);
  });
});
