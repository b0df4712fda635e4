/**
 * Writes the cross-region ACK event rules of a policy (`npm run infra:ack-rules -- <policy.yaml> [out dir]`):
 * one ROS template per region of the policy other than the functions' region (s.yaml
 * `vars.region`), each an EventBridge rule on that region's default bus whose HTTPS target is the
 * cluster-events function. Prints the command that creates each stack. See infra/README.md,
 * "Cluster events from every region".
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml } from 'yaml';
import {
  ACK_HTTP_PATH,
  ackForwardingPlan,
  ackForwardingRosTemplate,
  ENTRY_URL_PARAMETER,
  type AckForwardingPlan,
} from './eventbridge/ack-forwarding';

/** The pattern the s.yaml trigger uses too (test/unit/infra.test.ts keeps them equal). */
export function ackEventPattern(root = '.'): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(root, 'infra/eventbridge/ack-events-rule.json'), 'utf8')) as Record<string, unknown>;
}

/** s.yaml's `vars.region`: where every function is deployed. */
export function functionsRegionOf(sYamlText: string): string {
  const region = (parseYaml(sYamlText) as { vars?: { region?: unknown } } | null)?.vars?.region;
  if (typeof region !== 'string' || region === '') throw new Error('s.yaml: vars.region is not set');
  return region;
}

/**
 * The regions a policy file declares (`regions:` keys). Read from the YAML rather than the loaded
 * policy: loading substitutes `${env:…}` (notification webhooks and the like), which whoever
 * writes the rules need not have set; `regionshift validate` checks the rest of the file.
 */
export function policyRegionsOf(policyText: string): string[] {
  const regions = (parseYaml(policyText) as { regions?: unknown } | null)?.regions;
  if (typeof regions !== 'object' || regions === null || Array.isArray(regions) || Object.keys(regions).length === 0)
    throw new Error('policy: regions: required (a map of region ids)');
  const ids = Object.keys(regions);
  const bad = ids.filter((r) => !/^[a-z]{2,}-[a-z0-9-]+$/.test(r));
  if (bad.length) throw new Error(`policy: regions: not region ids: ${bad.join(', ')}`);
  return ids;
}

/** The plan for a policy file and an s.yaml; the entry URL is a placeholder: the templates take it as a parameter. */
export function planForFiles(policyText: string, sYamlText: string, root = '.'): AckForwardingPlan {
  return ackForwardingPlan({
    regions: policyRegionsOf(policyText),
    functionsRegion: functionsRegionOf(sYamlText),
    filterPattern: ackEventPattern(root),
    entryUrl: `https://cluster-events.invalid${ACK_HTTP_PATH}`,
  });
}

export function writeTemplates(plan: AckForwardingPlan, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  return plan.rules.map((rule) => {
    const file = path.join(outDir, `ack-events-${rule.region}.ros.json`);
    writeFileSync(file, `${JSON.stringify(ackForwardingRosTemplate(rule), null, 2)}\n`);
    return file;
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [policyFile, outDir = 'dist/eventbridge'] = process.argv.slice(2);
  if (!policyFile) {
    console.error('usage: npm run infra:ack-rules -- <policy.yaml> [out dir, default dist/eventbridge]');
    process.exitCode = 2;
  } else {
    try {
      const plan = planForFiles(readFileSync(policyFile, 'utf8'), readFileSync('s.yaml', 'utf8'));
      for (const region of plan.byTrigger)
        console.log(`${region}: the functions' region; the cluster-events EventBridge trigger (s.yaml) receives its events`);
      const files = writeTemplates(plan, outDir);
      plan.rules.forEach((rule, i) => {
        console.log(`${rule.region}: ${files[i]}`);
        console.log(
          `  aliyun ros CreateStack --RegionId ${rule.region} --StackName regionshift-ack-events --TemplateBody "$(cat ${files[i]})" ` +
            `--Parameters.1.ParameterKey ${ENTRY_URL_PARAMETER} --Parameters.1.ParameterValue "https://<cluster-events HTTP trigger>${ACK_HTTP_PATH}?token=$REGIONSHIFT_ALARM_TOKEN"`,
        );
      });
      if (plan.rules.length === 0) console.log("every region of the policy is the functions' region: no rule to create");
    } catch (err) {
      console.error(`failed: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  }
}
