import { createTestSigningKey } from './test-auth';
import { runInfraScript } from './test-infra';

/**
 * Starts a fresh SecantusDB and Kafka once for the whole integration run (the first run on a machine installs them),
 * and makes the run's token signing key.
 */
export default function globalSetup(): void {
  runInfraScript('up.sh', '--fresh');
  createTestSigningKey();
}
