import { runInfraScript } from './test-infra';

/** Starts a fresh FerretDB and Kafka once for the whole integration run (first run builds them: minutes). */
export default function globalSetup(): void {
  runInfraScript('up.sh');
}
