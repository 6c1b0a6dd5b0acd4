import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import ts from 'typescript';
import { parseAllDocuments } from 'yaml';
import { configSchema } from '../../main/settings/file-schema.js';
import { resolveSetting, resolveStructured } from '../../main/settings/resolve.js';
import { environmentOnly, settings, structuredSettings } from '../../main/settings/settings.js';
import { tempDir } from '../helpers.js';

/*
 * The Kubernetes manifests in deploy/kubernetes, checked without a cluster against Kubernetes' own schemas as the
 * kubernetes-models package (exact-pinned devDependency) ships them: its validators, compiled from the API server's
 * OpenAPI document, check types, required fields and formats; its declarations of the same types, compiled here with
 * TypeScript, refuse a field Kubernetes does not have (a typo such as `livenessprobe`), which the OpenAPI schemas do
 * not (they allow unknown properties; the API server's strict field validation does not). Then what Hearth itself
 * needs: probes on its health routes, a non-root user, secrets by reference, real settings. Neither the image nor a
 * cluster run is tested here (no base image or cluster can be reached).
 */

const root = fileURLToPath(new URL('../../../', import.meta.url));
const manifestDir = join(root, 'deploy', 'kubernetes');

type Obj = Record<string, unknown>;
interface Manifest {
  file: string;
  doc: Obj;
}

const asObj = (v: unknown): Obj => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const asList = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(asObj) : []);

/** Every YAML document of every .yaml file in `dir` (kustomization.yaml aside: it is kustomize's, not the API's). */
function loadManifests(dir: string): { manifests: Manifest[]; problems: string[] } {
  const manifests: Manifest[] = [];
  const problems: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .sort()) {
    for (const document of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      if (document.errors.length > 0) problems.push(`${file}: ${document.errors.map((e) => e.message).join('; ')}`);
      const doc = document.toJS() as unknown;
      if (doc !== null) manifests.push({ file, doc: asObj(doc) });
    }
  }
  return { manifests, problems };
}

/** `apps/v1` + `Deployment` → the module path of its model in kubernetes-models (the core group is plain `v1`). */
function modelPath(m: Manifest): string {
  return `kubernetes-models/${String(m.doc.apiVersion)}/${String(m.doc.kind)}`;
}

/** Kubernetes' OpenAPI schema of each object, through the model's compiled validator. */
async function schemaProblems(manifests: readonly Manifest[]): Promise<string[]> {
  const problems: string[] = [];
  for (const m of manifests) {
    let Model: new (data: Obj) => { validate(): void };
    try {
      Model = ((await import(modelPath(m))) as Record<string, typeof Model>)[String(m.doc.kind)]!;
      if (typeof Model !== 'function') throw new Error('no model');
    } catch {
      problems.push(`${m.file}: no schema for ${String(m.doc.apiVersion)} ${String(m.doc.kind)}`);
      continue;
    }
    try {
      new Model(m.doc).validate();
    } catch (error) {
      problems.push(`${m.file}: ${(error as Error).message}`);
    }
  }
  return problems;
}

/**
 * Fields Kubernetes does not define: each object as a literal of its kubernetes-models interface, type-checked, so an
 * excess property anywhere in it (TypeScript checks fresh literals at every depth) is an error naming the field.
 */
function unknownFieldProblems(manifests: readonly Manifest[]): string[] {
  const source = manifests
    .map((m, i) => {
      const type = `I${String(m.doc.kind)}`;
      return `import type { ${type} as T${i} } from '${modelPath(m)}';\nexport const m${i}: T${i} = ${JSON.stringify(m.doc)};`;
    })
    .join('\n');
  // A file that is never written: it sits at the repository root so that node_modules resolves from it.
  const fileName = join(root, '__deploy_manifests__.ts');
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, language) : getSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const program = ts.createProgram([fileName], options, host);
  const lineOf = (d: ts.Diagnostic): number =>
    d.file === undefined || d.start === undefined ? 0 : d.file.getLineAndCharacterOfPosition(d.start).line;
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const at = d.file?.fileName === fileName ? manifests[Math.floor(lineOf(d) / 2)]?.file : d.file?.fileName;
    return `${at ?? '?'}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

async function validateDir(dir: string): Promise<string[]> {
  const { manifests, problems } = loadManifests(dir);
  return [...problems, ...(await schemaProblems(manifests)), ...unknownFieldProblems(manifests)];
}

/** What in a manifest's text looks like a secret value rather than a reference to one. */
function leaks(text: string): string[] {
  const found: string[] = [];
  if (/hth_[A-Za-z0-9_-]{16,}/.test(text)) found.push('a Hearth token');
  // A long base64 run holding a digit (a key); Kubernetes' long field names have none.
  if ((text.match(/[A-Za-z0-9+/]{40,}={0,2}/g) ?? []).some((run) => /\d/.test(run))) found.push('a long base64 string');
  if (/-----BEGIN/.test(text)) found.push('a PEM block');
  if (/(password|passphrase|token)"?\s*[:=]\s*"?(?!REPLACE_ME)[^\s"${}/]{6,}/i.test(text)) found.push('a password');
  return found;
}

const { manifests } = loadManifests(manifestDir);
const byKind = (kind: string): Manifest[] => manifests.filter((m) => m.doc.kind === kind);
const named = (kind: string, name: string): Obj => {
  const found = byKind(kind).find((m) => asObj(m.doc.metadata).name === name);
  assert.ok(found, `${kind} ${name}`);
  return found.doc;
};
const podSpecOf = (doc: Obj): Obj => asObj(asObj(asObj(asObj(doc.spec).template).spec));
const workloads = (): Manifest[] => manifests.filter((m) => ['Deployment', 'StatefulSet', 'Job'].includes(String(m.doc.kind)));
const containersOf = (doc: Obj): Obj[] => asList(podSpecOf(doc).containers);
/** Files that are not applied with the rest: the placeholder Secret, and the Job that runs once when created. */
const notInKustomization = ['secret.example.yaml', 'training-job.yaml'];

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  it("validate against Kubernetes' schemas, known fields only, for every kind they use", async () => {
    assert.deepEqual(await validateDir(manifestDir), []);
    const kinds = new Set(manifests.map((m) => `${String(m.doc.apiVersion)} ${String(m.doc.kind)}`));
    for (const k of [
      'apps/v1 Deployment',
      'apps/v1 StatefulSet',
      'v1 Service',
      'v1 ConfigMap',
      'v1 Secret',
      'policy/v1 PodDisruptionBudget',
      'autoscaling/v2 HorizontalPodAutoscaler',
      'batch/v1 Job',
    ])
      assert.ok(kinds.has(k), k);
  });

  it('a broken manifest fails: a wrong type, a missing required field, an unknown field', async () => {
    const tmp = tempDir();
    try {
      const deployment = readFileSync(join(manifestDir, 'replicas-deployment.yaml'), 'utf8');
      // Each change on its own copy, so each must be caught by itself.
      const broken = {
        'wrong-type.yaml': deployment.replace('containerPort: 7420', 'containerPort: seventy'),
        'missing-selector.yaml': deployment.replace(/^ {2}selector:\n {4}matchLabels:\n(?: {6}.*\n){2}/m, ''),
        'typo.yaml': deployment.replace('livenessProbe:', 'livenessprobe:'),
        'bad-hpa.yaml': readFileSync(join(manifestDir, 'replicas-hpa.yaml'), 'utf8').replace(
          'averageUtilization: 70',
          'averageUtilisation: 70',
        ),
      };
      for (const [file, text] of Object.entries(broken)) {
        assert.notEqual(text, deployment, `${file} changed something`);
        writeFileSync(join(tmp.dir, file), text);
      }
      const problems = await validateDir(tmp.dir);
      const about = (file: string): string => problems.filter((p) => p.startsWith(file)).join('\n');
      assert.match(about('wrong-type.yaml'), /containerPort must be integer/);
      assert.match(about('missing-selector.yaml'), /must have required property '?selector/);
      assert.match(about('typo.yaml'), /'"livenessprobe"' does not exist in type 'IContainer'/);
      assert.match(about('bad-hpa.yaml'), /'"averageUtilisation"' does not exist/);
      // And a file that is not YAML at all.
      writeFileSync(join(tmp.dir, 'not-yaml.yaml'), 'kind: [Deployment\n');
      assert.ok((await validateDir(tmp.dir)).some((p) => p.startsWith('not-yaml.yaml')));
    } finally {
      tmp.cleanup();
    }
  });

  it('kustomization.yaml lists every manifest but the example Secret and the one-shot Job', () => {
    const kustomization = asObj(parseAllDocuments(readFileSync(join(manifestDir, 'kustomization.yaml'), 'utf8'))[0]!.toJS());
    const listed = (kustomization.resources as string[]).slice().sort();
    const files = readdirSync(manifestDir)
      .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && !notInKustomization.includes(f))
      .sort();
    assert.deepEqual(listed, files);
    assert.equal(kustomization.namespace, undefined, 'namespace-agnostic');
    for (const image of asList(kustomization.images)) assert.notEqual(image.newTag, 'latest');
    assert.ok(!listed.some((f) => byKind('Secret').some((m) => m.file === f)), 'no Secret is applied from the repository');
  });

  it('each server has liveness on /healthz and readiness on /readyz, on the port it listens on', () => {
    const servers = [...byKind('Deployment'), ...byKind('StatefulSet')];
    assert.equal(servers.length, 2);
    for (const m of servers) {
      for (const c of containersOf(m.doc)) {
        const env = new Map(asList(c.env).map((e) => [e.name, e.value]));
        const port = asList(c.ports).find((p) => p.name === 'http');
        assert.equal(port?.containerPort, Number(env.get('HEARTH_PORT')), `${m.file}: container port = HEARTH_PORT`);
        assert.equal(env.get('HEARTH_HOST'), '0.0.0.0', `${m.file}: a pod listens on every interface`);
        const probe = (name: string): Obj => asObj(asObj(c[name]).httpGet);
        assert.equal(probe('livenessProbe').path, '/healthz', m.file);
        assert.equal(probe('readinessProbe').path, '/readyz', m.file);
        for (const p of ['livenessProbe', 'readinessProbe', 'startupProbe'])
          assert.equal(probe(p).port, 'http', `${m.file} ${p}`);
        assert.ok(asObj(c.resources).requests !== undefined && asObj(c.resources).limits !== undefined, m.file);
      }
    }
    // The replicas run read-only; the writer does not.
    assert.deepEqual(containersOf(named('Deployment', 'hearth'))[0]!.args, ['serve', '--replica']);
    assert.deepEqual(containersOf(named('StatefulSet', 'hearth-writer'))[0]!.args, ['serve']);
  });

  it('every pod runs as a non-root user, without privilege escalation or capabilities, on a read-only root', () => {
    assert.equal(workloads().length, 3);
    for (const m of workloads()) {
      const pod = asObj(podSpecOf(m.doc).securityContext);
      assert.equal(pod.runAsNonRoot, true, m.file);
      assert.ok(typeof pod.runAsUser === 'number' && pod.runAsUser > 0, m.file);
      assert.equal(podSpecOf(m.doc).automountServiceAccountToken, false, m.file);
      for (const c of containersOf(m.doc)) {
        const sc = asObj(c.securityContext);
        assert.equal(sc.allowPrivilegeEscalation, false, m.file);
        assert.equal(sc.readOnlyRootFilesystem, true, m.file);
        assert.deepEqual(asObj(sc.capabilities).drop, ['ALL'], m.file);
        const image = String(c.image);
        assert.match(image, /:[\w.-]+$/, `${m.file}: the image names a tag`);
        assert.doesNotMatch(image, /:latest$/, m.file);
        // With the root read-only, Hearth's data folder and /tmp must be mounted volumes.
        const mounts = asList(c.volumeMounts).map((v) => v.mountPath);
        const dataDir = String(asList(c.env).find((e) => e.name === 'HEARTH_DATA_DIR')?.value);
        assert.ok(
          mounts.some((p) => dataDir.startsWith(`${String(p)}/`)),
          `${m.file}: ${dataDir} is on a volume`,
        );
        assert.ok(mounts.includes('/tmp'), m.file);
      }
    }
  });

  it('secrets come from the Secret by reference; no manifest holds a secret value', () => {
    const secretEnv = new Set(environmentOnly.filter((e) => e.secret).map((e) => e.env));
    assert.ok(secretEnv.has('HEARTH_TOKEN') && secretEnv.has('HEARTH_STORE_KEY'));
    const example = named('Secret', 'hearth-secrets');
    const keys = new Set(Object.keys(asObj(example.stringData)));
    for (const value of Object.values(asObj(example.stringData))) assert.equal(value, 'REPLACE_ME');
    assert.equal(example.data, undefined);
    let references = 0;
    for (const m of workloads()) {
      for (const c of containersOf(m.doc)) {
        for (const e of asList(c.env)) {
          const ref = asObj(asObj(e.valueFrom).secretKeyRef);
          if (secretEnv.has(String(e.name))) {
            assert.equal(e.value, undefined, `${m.file}: ${String(e.name)} is never a literal`);
            assert.equal(ref.name, 'hearth-secrets', `${m.file}: ${String(e.name)}`);
          }
          if (ref.name !== undefined) {
            assert.ok(keys.has(String(ref.key)), `${m.file}: key ${String(ref.key)} is in secret.example.yaml`);
            references++;
          }
        }
      }
      for (const v of asList(podSpecOf(m.doc).volumes)) {
        const secret = asObj(v.secret);
        if (secret.secretName === undefined) continue;
        assert.equal(secret.secretName, 'hearth-secrets');
        // Owner and group (fsGroup) read, nothing else; decimal in the file, so YAML 1.1 and 1.2 agree.
        assert.equal(secret.defaultMode, 0o440, m.file);
        for (const item of asList(secret.items)) assert.ok(keys.has(String(item.key)), String(item.key));
      }
    }
    assert.ok(references >= 8);
    // Nothing that looks like a token, a key or a password anywhere in the folder, comments included.
    for (const file of readdirSync(manifestDir)) assert.deepEqual(leaks(readFileSync(join(manifestDir, file), 'utf8')), [], file);
    // The detector itself finds what it is for.
    assert.deepEqual(leaks('value: hth_Q2hhbmdlTWVQbGVhc2VJdHNBVGVzdA'), ['a Hearth token']);
    assert.deepEqual(leaks('store-key: 3q2+7wAAAAC6vQ8u9mYxJp0kLrS1tU4vWx8yZ1a2b3c='), ['a long base64 string']);
    assert.deepEqual(leaks('"passwordFile": "/run/secrets/x"\npassword: hunter2hunter2'), ['a password']);
  });

  it('every HEARTH_* variable is a real setting, with a value the setting accepts', () => {
    const known = new Set([
      ...settings.map((s) => s.env),
      ...structuredSettings.map((s) => s.env),
      ...environmentOnly.map((e) => e.env),
    ]);
    let checked = 0;
    for (const m of workloads()) {
      for (const c of containersOf(m.doc)) {
        // What the pod's environment holds, with $(POD_NAMESPACE) expanded as the kubelet does.
        const env: NodeJS.ProcessEnv = {};
        for (const e of asList(c.env))
          if (typeof e.value === 'string') env[String(e.name)] = e.value.replaceAll('$(POD_NAMESPACE)', 'team-a');
        for (const e of asList(c.env)) {
          const name = String(e.name);
          if (!name.startsWith('HEARTH_')) continue;
          assert.ok(known.has(name), `${m.file}: ${name} is not a Hearth setting (docs/configuration.md)`);
          const setting = settings.find((s) => s.env === name);
          if (setting !== undefined) resolveSetting(setting, { env });
          const structured = structuredSettings.find((s) => s.env === name);
          if (structured !== undefined) resolveStructured(structured.key, { env });
          checked++;
        }
        if (env.HEARTH_ALLOWED_HOSTS !== undefined) {
          const hosts = resolveStructured('allowedHosts', { env }).value as string[];
          assert.ok(
            hosts.includes('hearth.team-a.svc.cluster.local') || hosts.includes('hearth-writer.team-a.svc.cluster.local'),
          );
        }
      }
    }
    assert.ok(checked >= 20);
  });

  it("the ConfigMap's config files pass Hearth's own config schema, and each workload names one of them", () => {
    const data = asObj(named('ConfigMap', 'hearth-config').data);
    const configs = new Map<string, ReturnType<typeof configSchema.parse>>();
    for (const [key, text] of Object.entries(data))
      configs.set(`/etc/hearth/${key}`, configSchema.parse(JSON.parse(String(text))));
    for (const m of workloads())
      for (const c of containersOf(m.doc)) {
        const path = String(asList(c.env).find((e) => e.name === 'HEARTH_CONFIG')?.value);
        const config = configs.get(path);
        assert.ok(config, `${m.file}: ${path} is in the ConfigMap`);
        const mounted = asList(c.volumeMounts).find((v) => path.startsWith(`${String(v.mountPath)}/`));
        const volume = asList(podSpecOf(m.doc).volumes).find((v) => v.name === mounted?.name);
        assert.equal(asObj(volume?.configMap).name, 'hearth-config', m.file);
        // Every secret file the config names is mounted from the Secret.
        for (const r of config.remotes) {
          const file = r.tokenFile ?? r.passwordFile;
          if (file === undefined) continue;
          const at = asList(c.volumeMounts).find((v) => file.startsWith(`${String(v.mountPath)}/`));
          const secret = asObj(asList(podSpecOf(m.doc).volumes).find((v) => v.name === at?.name)?.secret);
          assert.ok(
            asList(secret.items).some((i) => file.endsWith(`/${String(i.path)}`)),
            `${m.file}: ${file}`,
          );
        }
      }
    // A replica refuses to start with nothing to follow, or with a watch, pipeline or stream (serve.ts).
    const replica = configs.get('/etc/hearth/replica.json')!;
    assert.ok(replica.follow.length > 0);
    assert.equal(replica.watch.length + replica.pipelines.length + replica.streams.length, 0);
    for (const f of replica.follow) assert.ok(replica.remotes.some((r) => r.name === f.remote));
  });

  it('the objects point at each other: selectors, the governing Service, the HPA target, the claim the Job mounts', () => {
    const labels = (doc: Obj): Obj => asObj(asObj(asObj(asObj(doc.spec).template).metadata).labels);
    const matches = (selector: Obj, target: Obj): boolean => Object.entries(selector).every(([k, v]) => target[k] === v);
    const replicas = named('Deployment', 'hearth');
    const writer = named('StatefulSet', 'hearth-writer');
    assert.ok(matches(asObj(named('Service', 'hearth').spec).selector as Obj, labels(replicas)));
    assert.ok(!matches(asObj(named('Service', 'hearth').spec).selector as Obj, labels(writer)), 'replicas only');
    assert.ok(matches(asObj(named('Service', 'hearth-writer').spec).selector as Obj, labels(writer)));
    assert.ok(matches(asObj(asObj(named('PodDisruptionBudget', 'hearth').spec).selector).matchLabels as Obj, labels(replicas)));
    const target = asObj(asObj(named('HorizontalPodAutoscaler', 'hearth').spec).scaleTargetRef);
    assert.deepEqual([target.kind, target.name], ['Deployment', 'hearth']);
    // The HPA owns the count (an apply would reset a written one), and keeps one pod up through a disruption.
    assert.equal(asObj(replicas.spec).replicas, undefined);
    const minReplicas = Number(asObj(named('HorizontalPodAutoscaler', 'hearth').spec).minReplicas);
    const maxUnavailable = Number(asObj(named('PodDisruptionBudget', 'hearth').spec).maxUnavailable);
    assert.ok(minReplicas >= 2 && minReplicas - maxUnavailable >= 1);
    assert.equal(asObj(writer.spec).serviceName, 'hearth-writer');
    assert.equal(asObj(writer.spec).replicas, 1, 'one writer per store');
    const template = asList(asObj(writer.spec).volumeClaimTemplates)[0]!;
    const job = named('Job', 'hearth-train');
    const claim = asList(podSpecOf(job).volumes).find((v) => v.persistentVolumeClaim !== undefined);
    assert.equal(asObj(claim?.persistentVolumeClaim).claimName, `${String(asObj(template.metadata).name)}-hearth-writer-0`);
    const affinity = asList(asObj(asObj(podSpecOf(job).affinity).podAffinity).requiredDuringSchedulingIgnoredDuringExecution)[0]!;
    assert.equal(affinity.topologyKey, 'kubernetes.io/hostname');
    assert.ok(matches(asObj(asObj(affinity.labelSelector).matchLabels), labels(writer)), 'the Job runs on the writer’s node');
    // The Job and the writer open the same data folder with the same keys.
    const envOf = (doc: Obj): Map<unknown, unknown> =>
      new Map(asList(containersOf(doc)[0]!.env).map((e) => [e.name, e.value ?? JSON.stringify(e.valueFrom)]));
    for (const name of ['HEARTH_DATA_DIR', 'HEARTH_CONFIG', 'HEARTH_STORE_KEY', 'HEARTH_SECRET_KEY'])
      assert.equal(envOf(job).get(name), envOf(writer).get(name), name);
    assert.equal(containersOf(job)[0]!.args instanceof Array && (containersOf(job)[0]!.args as string[])[0], 'train');
  });
});

describe('deploy/Dockerfile (parsed only: no image can be built here)', () => {
  const text = readFileSync(join(root, 'deploy', 'Dockerfile'), 'utf8');
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  const instructions = lines.map((l) => {
    const [op, ...rest] = l.split(/\s+/);
    return { op: op!.toUpperCase(), args: rest.join(' ') };
  });

  it('has a build stage and a runtime stage, and the runtime runs as a numeric non-root user', () => {
    const froms = instructions.filter((i) => i.op === 'FROM');
    assert.ok(froms.length >= 2, 'multi-stage');
    assert.ok(froms.some((f) => /\bAS build$/i.test(f.args)));
    const last = instructions.lastIndexOf(froms.at(-1)!);
    const runtime = instructions.slice(last);
    assert.ok(
      runtime.some((i) => i.op === 'COPY' && i.args.startsWith('--from=')),
      'the runtime copies from the build',
    );
    assert.ok(!runtime.some((i) => i.op === 'RUN' && /npm (ci|install)\b/.test(i.args)), 'no install in the runtime stage');
    const user = runtime.filter((i) => i.op === 'USER').at(-1);
    assert.ok(user, 'USER in the runtime stage');
    assert.match(user.args, /^[1-9]\d*(:[1-9]\d*)?$/, 'a numeric uid other than 0');
    const uid = Number(user.args.split(':')[0]);
    for (const m of workloads()) assert.equal(asObj(podSpecOf(m.doc).securityContext).runAsUser, uid, m.file);
    const env = runtime.filter((i) => i.op === 'ENV').map((i) => i.args);
    assert.ok(env.some((e) => /ORT_DISABLE_TELEMETRY=1/.test(e)));
    assert.ok(instructions.some((i) => i.op === 'ENV' && /ONNXRUNTIME_NODE_INSTALL=skip/.test(i.args)));
    assert.ok(!/:latest\b/.test(text));
    // What the image copies exists in a built checkout (bin and resources here; dist/ after `npm run build`).
    for (const path of ['bin/hearth.js', 'resources/samples', 'resources/pii', 'package-lock.json'])
      assert.ok(existsSync(join(root, path)), path);
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', '.git']) assert.ok(ignored.includes(p), `.dockerignore: ${p}`);
  });
});
