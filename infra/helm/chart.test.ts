// The Helm chart, rendered by the real helm (built by infra:install): it lints strictly; each
// manifest it renders, for its defaults and for a production-like values file, is valid against
// Kubernetes' own OpenAPI schemas (kubernetes-models) or, for the Prometheus operator's and KEDA's
// kinds, their CRDs' schemas; no kind goes unchecked. Every table has its consumer Deployment,
// every documented variable a value (or a stated reason why not), every container a non-root user
// and resource requests, and docs/deploy.md's least-privilege table says what the values say.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { chartDir, helmBinary } from './helm.js';
import { repoRoot } from '../local/paths.js';
import { validators } from './kinds.js';
import { configSchema } from '../../schemas/config.schema.js';
import { topics } from '../../schemas/topics.js';
import { catalogue } from '../../tables/catalogue.js';

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; annotations?: any }; spec?: any };

/** What a minimal install gives: the values the chart cannot do without. */
const required = [
  'kafka.brokers={broker-1:9092}',
  'bigquery.project=acme',
  'lake.dir=gs://acme-lake/lake',
  'secrets.values.INGRESS_AUTH_TOKENS=Bearer t',
];
const production = join(repoRoot, 'infra/helm/production-values.yaml');

function helm(args: string[]): string {
  return execFileSync(helmBinary(), args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function render(opts: { values?: string[]; set?: string[] } = {}): Manifest[] {
  const out = helm([
    'template',
    'thena-lake',
    chartDir,
    ...(opts.values ?? []).flatMap((v) => ['--values', v]),
    ...(opts.set ?? []).flatMap((s) => ['--set', s]),
  ]);
  return YAML.parseAllDocuments(out)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/** The error helm prints when the chart refuses to render. */
function refusal(set: string[]): string {
  try {
    render({ set });
  } catch (err) {
    return String((err as { stderr?: string }).stderr);
  }
  throw new Error('the chart rendered');
}

const podSpecOf = (m: Manifest): any =>
  m.kind === 'CronJob' ? m.spec.jobTemplate.spec.template.spec : m.spec?.template?.spec;
const containersOf = (m: Manifest): any[] => {
  const pod = podSpecOf(m);
  return pod ? [...(pod.initContainers ?? []), ...pod.containers] : [];
};

const defaults = render({ set: required });
const productionLike = render({ values: [production] });

describe('the Helm chart', () => {
  it('lints strictly, with the required values and with the production-like values', () => {
    expect(helm(['lint', '--strict', chartDir, ...required.flatMap((s) => ['--set', s])])).toMatch(
      /0 chart\(s\) failed/,
    );
    expect(helm(['lint', '--strict', chartDir, '--values', production])).toMatch(/0 chart\(s\) failed/);
  });

  it('refuses to render without what it needs, naming the value', () => {
    const without = (prefix: string) => required.filter((r) => !r.startsWith(prefix));
    expect(refusal(without('kafka.brokers'))).toContain('kafka.brokers is required');
    expect(refusal(without('bigquery.project'))).toContain('bigquery.project is required');
    expect(refusal([...without('lake.dir'), 'lake.dir=/data/lake'])).toContain('lake.dir must be gs://');
    expect(refusal(without('secrets.values'))).toContain('secrets.values.INGRESS_AUTH_TOKENS is required');
    expect(refusal([...required, 'consumers.services.rejected-events.replicas=2'])).toContain(
      'more than the 1 partitions of thena.request-events.dlq.v1',
    );
  });

  it('renders only manifests valid against their schemas, every kind with a validator', () => {
    for (const [name, manifests] of [
      ['defaults', defaults],
      ['production-like', productionLike],
    ] as const) {
      for (const m of manifests) {
        const validate = validators[`${m.apiVersion}/${m.kind}`];
        expect(validate, `${name}: no schema for ${m.apiVersion} ${m.kind}`).toBeDefined();
        expect(() => validate!(m), `${name}: ${m.kind} ${m.metadata.name}`).not.toThrow();
      }
    }
    // The production-like file turns on every optional kind.
    expect(new Set(productionLike.map((m) => m.kind))).toEqual(
      new Set([
        'ServiceAccount',
        'Service',
        'StatefulSet',
        'Deployment',
        'PodDisruptionBudget',
        'HorizontalPodAutoscaler',
        'Ingress',
        'Job',
        'CronJob',
        'ScaledObject',
        'PodMonitor',
        'PrometheusRule',
      ]),
    );
    expect(defaults.some((m) => m.kind === 'Secret')).toBe(true);
  });

  it('has validators that refuse a wrong manifest', () => {
    const deployment = defaults.find((m) => m.kind === 'Deployment')!;
    const wrong = structuredClone(deployment);
    wrong.spec.replicas = 'two';
    expect(() => validators['apps/v1/Deployment']!(wrong)).toThrow();
    const rule = structuredClone(productionLike.find((m) => m.kind === 'PrometheusRule')!);
    rule.spec.groups[0].rules[0].for = 10;
    expect(() => validators['monitoring.coreos.com/v1/PrometheusRule']!(rule)).toThrow();
  });

  it('runs a Deployment for every table of the catalogue, and its topics as schemas/topics.ts declares them', () => {
    const deployed = defaults
      .filter((m) => m.kind === 'Deployment')
      .map((m) => podSpecOf(m).containers[0].args)
      .filter((args) => args[0] === 'dist/services/consumers/main.js')
      .map((args) => args[1]);
    expect(deployed.sort()).toEqual(catalogue.map((t) => t.consumer.service).sort());
    const values = YAML.parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8'));
    for (const t of catalogue) expect(values.consumers.services[t.consumer.service].topic).toBe(t.consumer.topic);
    for (const t of [topics.requestEvents, topics.platformEvents, topics.deadLetter])
      expect(values.topics[t.name], t.name).toBe(t.partitions);
  });

  it('runs no container as root, and none without resource requests', () => {
    for (const m of [...defaults, ...productionLike]) {
      for (const c of containersOf(m)) {
        const where = `${m.kind} ${m.metadata.name} ${c.name}`;
        const security = { ...podSpecOf(m).securityContext, ...c.securityContext };
        expect(security.runAsNonRoot, where).toBe(true);
        expect(security.runAsUser, where).toBeGreaterThan(0);
        expect(security.allowPrivilegeEscalation, where).toBe(false);
        expect(c.resources?.requests?.cpu, where).toBeDefined();
        expect(c.resources?.requests?.memory, where).toBeDefined();
      }
    }
  });

  it('maps every documented variable to a value, or says why the chart sets or leaves it itself', () => {
    const readme = readFileSync(join(chartDir, 'README.md'), 'utf8');
    const section = (title: string) => {
      const body = readme.split(`## ${title}`)[1]!.split('\n## ')[0]!;
      return body
        .split('\n')
        .filter((l) => /^\| `/.test(l))
        .map((l) => l.split('|').map((c) => c.trim()));
    };
    const mapped = section('Values and the variables they set').map(([, value, variable]) => ({
      value: /`([^`]+)`/.exec(value!)![1]!,
      variable: /`([^`]+)`/.exec(variable!)![1]!,
    }));
    const setByChart = section('Variables the chart sets itself').map(([, v]) => /`([^`]+)`/.exec(v!)![1]!);
    const leftOut = section('Variables the chart leaves unset').map(([, v]) => /`([^`]+)`/.exec(v!)![1]!);
    const accounted = [...mapped.map((m) => m.variable), ...setByChart, ...leftOut];
    expect(accounted.sort()).toEqual(Object.keys(configSchema.properties).sort());

    // Every mapped value set to a sample reaches the containers as its variable.
    const sample = (value: string) => {
      if (value === 'kafka.brokers') return { set: 'kafka.brokers={b-1:9092,b-2:9092}', env: 'b-1:9092,b-2:9092' };
      if (value === 'ingress.trustedProxies') return { set: 'ingress.trustedProxies={10.0.0.0/8}', env: '10.0.0.0/8' };
      if (value === 'ingress.drainSeconds') return { set: 'ingress.drainSeconds=77', env: '77000' };
      if (value === 'lake.dir') return { set: 'lake.dir=gs://sample-bucket/lake', env: 'gs://sample-bucket/lake' };
      if (value.startsWith('kafka.') && value.endsWith('Key'))
        return { set: `${value}=sample.pem`, env: '/etc/thena-lake/kafka-tls/sample.pem' };
      return { set: `${value}=sample-${value.replaceAll('.', '-')}`, env: `sample-${value.replaceAll('.', '-')}` };
    };
    const plain = mapped.filter((m) => !m.value.startsWith('secrets.'));
    const rendered = render({
      set: [...required, 'kafka.tlsSecret=kafka-tls', ...plain.map((m) => sample(m.value).set)],
    });
    const ingressEnv = containersOf(rendered.find((m) => m.kind === 'StatefulSet')!)[0].env as any[];
    for (const { value, variable } of plain)
      expect(ingressEnv.find((e) => e.name === variable)?.value, `${value} -> ${variable}`).toBe(sample(value).env);
    for (const { variable } of mapped.filter((m) => m.value.startsWith('secrets.')))
      expect(ingressEnv.find((e) => e.name === variable)?.valueFrom?.secretKeyRef?.key, variable).toBe(variable);
    const chartSecret = render({ set: [...required, 'secrets.values.THENA_API_KEY=k'] }).find(
      (m) => m.kind === 'Secret',
    )!;
    expect(Object.keys((chartSecret as any).stringData).sort()).toEqual(['INGRESS_AUTH_TOKENS', 'THENA_API_KEY']);
    // Without its tokens the ingress would take any webhook: that key is not optional.
    const tokens = ingressEnv.find((e) => e.name === 'INGRESS_AUTH_TOKENS');
    expect(tokens.valueFrom.secretKeyRef.optional).toBe(false);
  });

  it('gives a stopping ingress pod the time to publish its spool', () => {
    const ingress = defaults.find((m) => m.kind === 'StatefulSet')!;
    const drainMs = Number(containersOf(ingress)[0].env.find((e: any) => e.name === 'INGRESS_DRAIN_ON_EXIT_MS').value);
    expect(drainMs).toBeGreaterThan(0);
    expect(podSpecOf(ingress).terminationGracePeriodSeconds * 1000).toBeGreaterThan(drainMs);
    // Ready means "can take an event": /readyz answers 200 while the spool takes them (health.ts).
    expect(containersOf(ingress)[0].readinessProbe.httpGet.path).toBe('/readyz');
  });

  it('migrates before the services start, on a first install too', () => {
    // Helm runs pre-install hooks before the chart's other resources exist: the Job's service
    // account and the chart's Secret are hooks themselves, of a lower weight, so they come first.
    const hook = (m: Manifest) => m.metadata.annotations?.['helm.sh/hook'] as string | undefined;
    const weight = (m: Manifest) => Number(m.metadata.annotations?.['helm.sh/hook-weight'] ?? 0);
    const job = defaults.find((m) => m.kind === 'Job')!;
    expect(hook(job)).toBe('pre-install,pre-upgrade');
    expect(containersOf(job).map((c) => c.args[0])).toEqual([
      'dist/services/admin/create-topics.js',
      'dist/services/bigquery/migrate-cli.js',
    ]);
    const account = defaults.find(
      (m) => m.kind === 'ServiceAccount' && m.metadata.name === podSpecOf(job).serviceAccountName,
    )!;
    const secret = defaults.find((m) => m.kind === 'Secret')!;
    for (const needed of [account, secret]) {
      expect(hook(needed), needed.kind).toBe('pre-install,pre-upgrade');
      expect(weight(needed), needed.kind).toBeLessThan(weight(job));
    }
    // The services do not migrate at their own start: the Job has.
    const env = containersOf(defaults.find((m) => m.kind === 'StatefulSet')!)[0].env as any[];
    expect(env.find((e) => e.name === 'BIGQUERY_MIGRATE_ON_START').value).toBe('false');
  });

  it('annotates each role’s service account with the roles docs/deploy.md grants it', () => {
    const deploy = readFileSync(join(repoRoot, 'docs/deploy.md'), 'utf8');
    const table = deploy.split('## Least privilege')[1]!.split('\n## ')[0]!;
    const documented = table
      .split('\n')
      .filter((l) => /^\| `[a-z]+` /.test(l))
      .map((l) => {
        const [, role, grant, resource] = l.split('|').map((c) => c.trim());
        return `${/`([a-z]+)`/.exec(role!)![1]}: ${/`([^`]+)`/.exec(grant!)![1]} on ${resource}`;
      });
    const inValues = productionLike
      .filter((m) => m.kind === 'ServiceAccount')
      .flatMap((m) => {
        const role = m.metadata.name.replace(/^thena-lake-/, '');
        expect(m.metadata.annotations['iam.gke.io/gcp-service-account'], role).toMatch(/@.*iam\.gserviceaccount\.com$/);
        return (m.metadata.annotations['thena-lake/gcp-roles'] as string).split('; ').map((r) => `${role}: ${r}`);
      });
    expect(inValues.sort()).toEqual(documented.sort());
  });
});
