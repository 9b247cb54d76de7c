import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_INFRA_ENV } from './infra';
import { sleep } from './stats';

/** CPU used by the bench's FerretDB over `ms` (percent of one core): near 0 while a database does not answer means stuck, not busy. */
export async function ferretDbCpuPercent(ms = 3_000): Promise<number | null> {
  try {
    const pid = readFileSync(join(BENCH_INFRA_ENV.WMS_RUN_DIR, 'ferretdb', 'ferretdb.pid'), 'utf8').trim();
    const ticks = () => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100 per second on Linux)
    };
    const before = ticks();
    await sleep(ms);
    return ((ticks() - before) / 100 / (ms / 1000)) * 100;
  } catch {
    return null;
  }
}
