// A validator for every kind the chart renders, keyed `<apiVersion>/<kind>`: Kubernetes' own
// OpenAPI schemas for the built-in kinds (kubernetes-models, generated from them), the Prometheus
// operator's and KEDA's CRD schemas for theirs. A kind missing here fails the chart's test: no
// manifest goes unchecked. Like kubeconform without -strict, a field the schema does not name is
// not refused (Kubernetes' published schemas leave objects open).
import { ServiceAccount, Service, Secret } from 'kubernetes-models/v1';
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { Job, CronJob } from 'kubernetes-models/batch/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodMonitor, PrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';

/** A model class of kubernetes-models: built from a manifest, it validates it (throwing on the first problems). */
type Model = new (data: never) => { validate(): void };

const models: Model[] = [
  ServiceAccount,
  Service,
  Secret,
  Deployment,
  StatefulSet,
  Job,
  CronJob,
  PodDisruptionBudget,
  HorizontalPodAutoscaler,
  Ingress,
  PodMonitor,
  PrometheusRule,
  ScaledObject,
];

export const validators: Record<string, (manifest: unknown) => void> = Object.fromEntries(
  models.map((M) => {
    const sample = new M({} as never) as unknown as { apiVersion: string; kind: string };
    return [`${sample.apiVersion}/${sample.kind}`, (manifest: unknown) => new M(manifest as never).validate()];
  }),
);
