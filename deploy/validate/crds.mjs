// The prometheus-operator objects of deploy/kubernetes against their CRDs' schemas, offline: the schemas of
// prometheus-operator v0.65.1's CRDs (its stripped-down-crds.yaml), as @kubernetes-models/prometheus-operator
// 4.4.4 (npm, pinned in package-lock.json) compiles them into validators. Reads a JSON array of objects on
// stdin; prints "KIND NAME valid" for each, or what is wrong and exits 1. tests/test_exporter.py runs it
// after `npm ci --prefix deploy/validate` (.ci/run).
import { readFileSync } from "node:fs";
import { PrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import { ServiceMonitor } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor";

const KINDS = { PrometheusRule, ServiceMonitor };
let failed = false;
for (const object of JSON.parse(readFileSync(0, "utf8"))) {
  const name = `${object.kind} ${object.metadata?.name}`;
  const Kind = KINDS[object.kind];
  if (!Kind || object.apiVersion !== Kind.apiVersion) {
    console.log(`${name}: no CRD schema here for ${object.apiVersion}`);
    failed = true;
    continue;
  }
  try {
    new Kind(object).validate();
    console.log(`${name} valid`);
  } catch (error) {
    console.log(`${name}: ${error.message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
