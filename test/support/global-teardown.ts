import { runInfraScript } from './test-infra';

export default function globalTeardown(): void {
  runInfraScript('down.sh');
}
