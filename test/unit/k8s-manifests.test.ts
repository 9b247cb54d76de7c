import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config';

/**
 * deploy/k8s/ against the Kubernetes schemas (kubernetes-validate, strict: unknown fields are errors, offline: the
 * schemas ship in the package) and against the project's own rules: probes, ports, configuration, security, and the
 * selectors that tie the resources together. Also the compose `replicas` profile's load balancer.
 */
const ROOT = join(__dirname, '..', '..');
const K8S_DIR = join(ROOT, 'deploy', 'k8s');
/** The oldest Kubernetes the manifests support (the preStop `sleep` handler) and the newest the validator bundles. */
const KUBERNETES_VERSIONS = ['1.30.0', '1.37.0'];

type Manifest = { file: string; doc: any };
const manifestFiles = readdirSync(K8S_DIR)
  .filter((file) => /\.ya?ml$/.test(file) && file !== 'kustomization.yaml')
  .sort();
const manifests: Manifest[] = manifestFiles.flatMap((file) =>
  parseAllDocuments(readFileSync(join(K8S_DIR, file), 'utf8'))
    .map((document) => document.toJS())
    .filter(Boolean)
    .map((doc) => ({ file, doc })),
);

function only(kind: string): any {
  const found = manifests.filter(({ doc }) => doc.kind === kind);
  expect(found).toHaveLength(1);
  return found[0].doc;
}

/** The variables the service reads: the keys of the schema in src/config.ts. */
function configVariables(): Set<string> {
  const source = readFileSync(join(ROOT, 'src', 'config.ts'), 'utf8');
  const body = /const envSchema = z\.object\(\{([\s\S]*?)\n\}\);/.exec(source)?.[1];
  if (!body) throw new Error('envSchema not found in src/config.ts');
  return new Set([...body.matchAll(/^ {2}([A-Z][A-Z0-9_]*):/gm)].map((match) => match[1]));
}

/** Read by the service, or (OTEL_*) by the OpenTelemetry SDK it starts (docs/decisions.md, "Exporter"). */
function isReadByTheService(name: string, known: Set<string>): boolean {
  return known.has(name) || /^OTEL_[A-Z0-9_]+$/.test(name);
}

const durationSeconds = (value: string) => {
  const [, amount, unit] = /^(\d+)(ms|s|m|h)$/.exec(value)!;
  return (Number(amount) * { ms: 0.001, s: 1, m: 60, h: 3600 }[unit as 'ms' | 's' | 'm' | 'h'])!;
};

describe('deploy/k8s against the Kubernetes schemas (kubernetes-validate, strict)', () => {
  let python: string;
  let scratch: string;

  beforeAll(() => {
    // The same venv .ci/run provisions; cached per machine, so this is instant after the first run.
    python = execFileSync('bash', [join(ROOT, 'infra', 'provision-kubernetes-validate.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
    scratch = mkdtempSync(join(tmpdir(), 'k8s-manifests-'));
  }, 300_000);
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  const validate = (version: string, files: string[]) => {
    const run = spawnSync(python, ['-m', 'kubernetes_validate', '--strict', '-k', version, ...files], { cwd: K8S_DIR, encoding: 'utf8' });
    return { status: run.status, lines: `${run.stdout}${run.stderr}`.split('\n').filter(Boolean) };
  };

  it.each(KUBERNETES_VERSIONS)('every resource passes against Kubernetes %s', (version) => {
    const { status, lines } = validate(version, manifestFiles);
    // Only errors fail the tool's exit code; an unknown kind or apiVersion is a mere warning: each must have passed.
    expect(lines.filter((line) => !line.startsWith('INFO '))).toEqual([]);
    const minor = version.replace(/\.\d+$/, '');
    const passed = manifests.map(({ file, doc }) => `INFO ${file} passed for resource ${doc.kind.toLowerCase()}/${doc.metadata.name} against version ${minor}`);
    expect(lines.sort()).toEqual(passed.sort());
    expect(status).toBe(0);
  });

  it('rejects a misspelt field (strict mode is on)', () => {
    const deployment = structuredClone(only('Deployment'));
    const container = deployment.spec.template.spec.containers[0];
    container.readinessProbe.httpGett = container.readinessProbe.httpGet;
    delete container.readinessProbe.httpGet;
    const broken = join(scratch, 'deployment.yaml');
    writeFileSync(broken, JSON.stringify(deployment));
    const { status, lines } = validate(KUBERNETES_VERSIONS[0], [broken]);
    expect(status).not.toBe(0);
    expect(lines.join('\n')).toMatch(/ERROR .* did not validate .*httpGett/);
  });
});

describe('deploy/k8s follows the service', () => {
  const deployment = () => only('Deployment');
  const podSpec = () => deployment().spec.template.spec;
  const container = () => {
    const containers = podSpec().containers;
    expect(containers).toHaveLength(1);
    return containers[0];
  };
  const configMap = () => only('ConfigMap');

  it('the kustomization lists every manifest', () => {
    const kustomization = parse(readFileSync(join(K8S_DIR, 'kustomization.yaml'), 'utf8'));
    expect([...kustomization.resources].sort()).toEqual(manifestFiles);
  });

  it('the configuration is one the service starts with, naming only variables it reads', () => {
    const known = configVariables();
    const { env, envFrom } = container();
    const fromConfigMap = Object.keys(configMap().data);
    const set = [...fromConfigMap, ...env.map((variable: any) => variable.name)];
    expect(set.filter((name) => !isReadByTheService(name, known))).toEqual([]);
    expect(new Set(set).size).toBe(set.length);
    expect(envFrom).toEqual([{ configMapRef: { name: configMap().metadata.name } }]);
    // Secrets come from the Secret, never from the ConfigMap or a literal value.
    for (const variable of env) expect(variable.valueFrom?.secretKeyRef).toEqual({ name: 'order-service-secrets', key: variable.name });
    expect(env.map((variable: any) => variable.name)).toContain('MONGODB_URI');
    expect(fromConfigMap).not.toContain('MONGODB_URI');

    const secrets = Object.fromEntries(
      env.map((variable: any) => [variable.name, variable.name === 'MONGODB_URI' ? 'mongodb://user:secret@mongodb-0:27017/?replicaSet=rs0' : 'x']),
    );
    const config = loadConfig({ ...configMap().data, ...secrets });
    expect(config.NODE_ENV).toBe('production');
    expect(config.AUTH_MODE).toBe('jwt');
  });

  it('the container port is the one the service listens on, and the Service targets it', () => {
    const { port } = loadConfig({ ...configMap().data, MONGODB_URI: 'mongodb://mongodb-0:27017/' });
    expect(container().ports).toEqual([{ name: 'http', containerPort: port, protocol: 'TCP' }]);
    const service = only('Service');
    expect(service.spec.ports).toEqual([expect.objectContaining({ name: 'http', targetPort: 'http' })]);
    expect(service.spec.selector).toEqual(deployment().spec.selector.matchLabels);
    expect(deployment().spec.template.metadata.annotations['prometheus.io/port']).toBe(String(port));
  });

  it('probes: liveness and start-up on /health, readiness on /ready', () => {
    const { livenessProbe, readinessProbe, startupProbe } = container();
    expect(livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(startupProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    // /ready answers within ~2 s when Kafka is down (docs/decisions.md, "Readiness"): its time-out must allow that.
    expect(readinessProbe.timeoutSeconds).toBeGreaterThanOrEqual(3);
  });

  it('rolls out three replicas without losing capacity, and stops within its grace period', () => {
    const { spec } = deployment();
    expect(spec.replicas).toBe(3);
    expect(spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const preStop = container().lifecycle.preStop.sleep.seconds;
    const data = configMap().data;
    // SIGTERM: drain delay, in-flight requests, the relay's last publish (≤ 5 s), the trace flush (≤ 5 s), closing.
    const shutdown = preStop + durationSeconds(data.SHUTDOWN_DRAIN_DELAY ?? '0ms') + durationSeconds(data.SHUTDOWN_GRACE_PERIOD ?? '10s') + 5 + 5;
    expect(podSpec().terminationGracePeriodSeconds).toBeGreaterThanOrEqual(shutdown + 10);
  });

  it('sets resources, and runs as a non-root user without privileges on a read-only root filesystem', () => {
    const { resources, securityContext, image } = container();
    for (const kind of ['requests', 'limits']) {
      expect(resources[kind]).toEqual({ cpu: expect.anything(), memory: expect.anything() });
    }
    expect(securityContext).toEqual(
      expect.objectContaining({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } }),
    );
    expect(podSpec().securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, runAsUser: expect.any(Number) }));
    expect(podSpec().securityContext.runAsUser).toBeGreaterThan(0);
    expect(image).toMatch(/:\d+\.\d+\.\d+$/);
  });

  it('uses its own service account, without an API token', () => {
    const account = only('ServiceAccount');
    expect(account.automountServiceAccountToken).toBe(false);
    expect(podSpec().serviceAccountName).toBe(account.metadata.name);
    expect(podSpec().automountServiceAccountToken).toBe(false);
  });

  it('the PodDisruptionBudget and the HorizontalPodAutoscaler cover the Deployment', () => {
    const labels = deployment().spec.template.metadata.labels;
    expect(deployment().spec.selector.matchLabels).toEqual(expect.objectContaining(labels));
    const budget = only('PodDisruptionBudget');
    expect(budget.spec.selector.matchLabels).toEqual(deployment().spec.selector.matchLabels);
    expect(budget.spec.maxUnavailable ?? deployment().spec.replicas - budget.spec.minAvailable).toBe(1);

    const autoscaler = only('HorizontalPodAutoscaler');
    expect(autoscaler.apiVersion).toBe('autoscaling/v2');
    expect(autoscaler.spec.scaleTargetRef).toEqual({ apiVersion: deployment().apiVersion, kind: 'Deployment', name: deployment().metadata.name });
    expect(autoscaler.spec.minReplicas).toBe(deployment().spec.replicas);
    expect(autoscaler.spec.maxReplicas).toBeGreaterThan(autoscaler.spec.minReplicas);
    expect(autoscaler.spec.metrics).toEqual([
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } },
    ]);
  });
});

describe("docker-compose.yml's replicas profile", () => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true });
  const nginx = readFileSync(join(ROOT, 'deploy', 'compose', 'nginx.conf'), 'utf8');

  it('puts the three replicas behind the load balancer, WebSocket upgrades included', () => {
    const replicas = Object.keys(compose.services).filter((name) => /^order-service(-\d+)?$/.test(name));
    expect(replicas).toEqual(['order-service', 'order-service-2', 'order-service-3']);
    for (const name of replicas) expect(compose.services[name].environment).toEqual(compose.services['order-service'].environment);
    const upstream = [...nginx.matchAll(/^\s*server ([\w-]+):(\d+)\b/gm)].map((match) => match[1]);
    expect(upstream).toEqual(replicas);
    expect(Object.keys(compose.services['load-balancer'].depends_on)).toEqual(replicas);
    expect(nginx).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
    expect(nginx).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
    expect(nginx).toMatch(/proxy_http_version 1\.1;/);
  });
});
