import assert from "node:assert/strict";
import { KubeconfigError } from "./errors.ts";
import { type ConnectionConfig, loadKubeconfig } from "./kubeconfig.ts";
import { FakeClock } from "../../tests/support/fake_clock.ts";

const CA = "-----BEGIN CERTIFICATE-----\nY2E=\n-----END CERTIFICATE-----\n";
const CERT = "-----BEGIN CERTIFICATE-----\nY2VydA==\n-----END CERTIFICATE-----\n";
const KEY = "-----BEGIN PRIVATE KEY-----\na2V5\n-----END PRIVATE KEY-----\n";
const b64 = (s: string) => btoa(s);

/** The variables loadKubeconfig reads; cleared for each test and restored after. */
const ENV_NAMES = [
  "KUBECONFIG",
  "HOME",
  "USERPROFILE",
  "KUBERNETES_SERVICE_HOST",
  "KUBERNETES_SERVICE_PORT",
];

async function withEnv(
  vars: Readonly<Record<string, string>>,
  fn: (dir: string) => Promise<void>,
): Promise<void> {
  const saved = new Map(ENV_NAMES.map((n) => [n, Deno.env.get(n)]));
  const dir = await Deno.makeTempDir({ prefix: "pgop-kubeconfig-" });
  try {
    for (const name of ENV_NAMES) Deno.env.delete(name);
    Deno.env.set("HOME", `${dir}/home-without-config`);
    for (const [k, v] of Object.entries(vars)) Deno.env.set(k, v.replaceAll("$DIR", dir));
    await fn(dir);
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) Deno.env.delete(name);
      else Deno.env.set(name, value);
    }
    await Deno.remove(dir, { recursive: true });
  }
}

/** A kubeconfig with clusters a (https) and b, users, and contexts ctx-a (current) and ctx-b. */
function config(overrides: { currentContext?: string; userA?: string; clusterA?: string } = {}) {
  return `apiVersion: v1
kind: Config
current-context: ${overrides.currentContext ?? "ctx-a"}
clusters:
- name: a
  cluster:
${
    overrides.clusterA ?? `    server: https://a.example:6443/
    certificate-authority-data: ${b64(CA)}`
  }
- name: b
  cluster:
    server: https://b.example:6443
    certificate-authority: certs/ca.pem
    insecure-skip-tls-verify: true
users:
- name: ua
  user:
${
    overrides.userA ?? `    client-certificate-data: ${b64(CERT)}
    client-key-data: ${b64(KEY)}`
  }
- name: ub
  user:
    client-certificate: certs/cert.pem
    client-key: certs/key.pem
    token: tok-b
contexts:
- name: ctx-a
  context: { cluster: a, user: ua, namespace: team-a }
- name: ctx-b
  context: { cluster: b, user: ub }
`;
}

async function writeFiles(dir: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    const path = `${dir}/${name}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
}

async function rejectsWith(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof KubeconfigError, `not a KubeconfigError: ${err}`);
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes("\n"), `message has several lines: ${err.message}`);
    return true;
  });
}

Deno.test("loadKubeconfig() reads base64 data of the current context", async () => {
  await withEnv({}, async (dir) => {
    await writeFiles(dir, { "kc.yaml": config() });
    const c: ConnectionConfig = await loadKubeconfig({ path: `${dir}/kc.yaml` });
    assert.equal(c.server, "https://a.example:6443");
    assert.equal(c.caPem, CA);
    assert.equal(c.certPem, CERT);
    assert.equal(c.keyPem, KEY);
    assert.equal(c.insecureSkipTlsVerify, false);
    assert.equal(c.context, "ctx-a");
    assert.equal(c.user, "ua");
    assert.equal(c.namespace, "team-a");
    assert.equal(c.source, `"${dir}/kc.yaml"`);
    assert.equal(await c.authHeader(), undefined);
  });
});

Deno.test("loadKubeconfig() selects a context and reads files relative to the kubeconfig", async () => {
  await withEnv({}, async (dir) => {
    await writeFiles(dir, {
      "conf/kc.yaml": config(),
      "conf/certs/ca.pem": CA,
      "conf/certs/cert.pem": CERT,
      "conf/certs/key.pem": KEY,
    });
    const c = await loadKubeconfig({ path: `${dir}/conf/kc.yaml`, context: "ctx-b" });
    assert.equal(c.server, "https://b.example:6443");
    assert.deepEqual([c.caPem, c.certPem, c.keyPem], [CA, CERT, KEY]);
    assert.equal(c.insecureSkipTlsVerify, true);
    assert.equal(c.context, "ctx-b");
    assert.equal(c.namespace, undefined);
    assert.equal(await c.authHeader(), "Bearer tok-b");
  });
});

Deno.test("loadKubeconfig() reads a token file when asked for a header, relative to the kubeconfig", async () => {
  await withEnv({}, async (dir) => {
    await writeFiles(dir, { "kc.yaml": config({ userA: "    token-file: secrets/token" }) });
    const clock = new FakeClock();
    const c = await loadKubeconfig({ path: `${dir}/kc.yaml`, clock });
    await writeFiles(dir, { "secrets/token": "tok-from-file\n" });
    assert.equal(await c.authHeader(), "Bearer tok-from-file");
  });
});

Deno.test("loadKubeconfig() prefers a static token over a token file, and supports basic auth", async () => {
  await withEnv({}, async (dir) => {
    const both = "    token: static\n    token-file: /nonexistent/token";
    await writeFiles(dir, { "kc.yaml": config({ userA: both }) });
    assert.equal(
      await (await loadKubeconfig({ path: `${dir}/kc.yaml` })).authHeader(),
      "Bearer static",
    );
    await writeFiles(dir, {
      "kc.yaml": config({ userA: "    username: admin\n    password: s3cret" }),
    });
    const basic = await (await loadKubeconfig({ path: `${dir}/kc.yaml` })).authHeader();
    assert.equal(basic, `Basic ${btoa("admin:s3cret")}`);
  });
});

Deno.test("loadKubeconfig() runs an exec credential plugin", async () => {
  await withEnv({}, async (dir) => {
    const credential = JSON.stringify({
      apiVersion: "client.authentication.k8s.io/v1",
      kind: "ExecCredential",
      status: { token: "tok-exec" },
    });
    await writeFiles(dir, { "plugin.sh": `#!/bin/sh\necho '${credential}'\n` });
    const exec = `    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /bin/sh
      args: ["${dir}/plugin.sh"]
      interactiveMode: Never`;
    await writeFiles(dir, { "kc.yaml": config({ userA: exec }) });
    const c = await loadKubeconfig({ path: `${dir}/kc.yaml`, clock: new FakeClock() });
    assert.equal(await c.authHeader(), "Bearer tok-exec");
  });
});

Deno.test("loadKubeconfig() reports a failing exec plugin as KubeconfigError", async () => {
  await withEnv({}, async (dir) => {
    const exec = `    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: /bin/sh
      args: ["-c", "echo 'login required' >&2; exit 1"]`;
    await writeFiles(dir, { "kc.yaml": config({ userA: exec }) });
    const c = await loadKubeconfig({ path: `${dir}/kc.yaml`, clock: new FakeClock() });
    await rejectsWith(c.authHeader(), /Cannot get credentials for user "ua".*login required/);
  });
});

Deno.test("loadKubeconfig() merges KUBECONFIG files: the first definition wins, missing files are skipped", async () => {
  await withEnv({ KUBECONFIG: "$DIR/missing.yaml:$DIR/one.yaml:$DIR/two.yaml" }, async (dir) => {
    const one = `clusters:
- name: a
  cluster: { server: "https://one.example" }
contexts:
- name: ctx-a
  context: { cluster: a }
`;
    await writeFiles(dir, {
      "one.yaml": one,
      "two.yaml": config({ currentContext: "ctx-b" }),
      "certs/ca.pem": CA,
      "certs/cert.pem": CERT,
      "certs/key.pem": KEY,
    });
    const c = await loadKubeconfig();
    assert.equal(c.context, "ctx-b");
    assert.equal(c.server, "https://b.example:6443");
    const a = await loadKubeconfig({ context: "ctx-a" });
    assert.equal(a.server, "https://one.example");
    assert.equal(a.user, "");
    assert.equal(a.source, `"${dir}/one.yaml", "${dir}/two.yaml"`);
  });
});

Deno.test("loadKubeconfig() falls back to ~/.kube/config", async () => {
  await withEnv({ HOME: "$DIR/home" }, async (dir) => {
    await writeFiles(dir, { "home/.kube/config": config() });
    assert.equal((await loadKubeconfig()).server, "https://a.example:6443");
  });
});

Deno.test("loadKubeconfig() falls back to the in-cluster service account", async () => {
  const env = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };
  await withEnv(env, async (dir) => {
    const sa = "var/run/secrets/kubernetes.io/serviceaccount";
    await writeFiles(dir, {
      [`${sa}/token`]: "sa-token",
      [`${sa}/ca.crt`]: CA,
      [`${sa}/namespace`]: "pgop-system\n",
    });
    const c = await loadKubeconfig({ inClusterRoot: dir, clock: new FakeClock() });
    assert.equal(c.server, "https://10.96.0.1:443");
    assert.equal(c.caPem, CA);
    assert.equal(c.namespace, "pgop-system");
    assert.equal(c.source, "in-cluster");
    assert.equal(await c.authHeader(), "Bearer sa-token");
  });
});

Deno.test("loadKubeconfig() in a pod reads the token again when the kubelet rotates it", async () => {
  const env = { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" };
  await withEnv(env, async (dir) => {
    // The kubelet's layout: files in a timestamped directory, `..data` pointing at
    // it, each name a link through `..data`; a rotation swaps `..data` in one rename.
    const sa = `${dir}/var/run/secrets/kubernetes.io/serviceaccount`;
    await writeFiles(sa, { "..1/token": "first", "..1/ca.crt": CA, "..1/namespace": "ns" });
    await Deno.symlink("..1", `${sa}/..data`);
    for (const f of ["token", "ca.crt", "namespace"]) {
      await Deno.symlink(`..data/${f}`, `${sa}/${f}`);
    }
    const clock = new FakeClock();
    const c = await loadKubeconfig({ inClusterRoot: dir, clock });
    assert.equal(await c.authHeader(), "Bearer first");
    await writeFiles(sa, { "..2/token": "second", "..2/ca.crt": CA, "..2/namespace": "ns" });
    await Deno.symlink("..2", `${sa}/..data_tmp`);
    await Deno.rename(`${sa}/..data_tmp`, `${sa}/..data`);
    await Deno.remove(`${sa}/..1`, { recursive: true });
    await clock.advance(1_000);
    assert.equal(await c.authHeader(), "Bearer second");
  });
});

Deno.test("loadKubeconfig() says so when there is no configuration at all", async () => {
  await withEnv({}, async (dir) => {
    await rejectsWith(loadKubeconfig({ inClusterRoot: dir }), /No Kubernetes configuration found/);
  });
  await withEnv({ KUBECONFIG: "$DIR/a:$DIR/b" }, async (dir) => {
    await rejectsWith(
      loadKubeconfig(),
      new RegExp(`None of the KUBECONFIG files exist: "${dir}/a:`),
    );
  });
});

Deno.test("loadKubeconfig() rejects unreadable and malformed files, naming them", async () => {
  await withEnv({}, async (dir) => {
    await rejectsWith(
      loadKubeconfig({ path: `${dir}/nope.yaml` }),
      /Cannot read kubeconfig ".*nope\.yaml"/,
    );
    await writeFiles(dir, { "bad.yaml": "clusters: [\n  - {name: a\n" });
    await rejectsWith(
      loadKubeconfig({ path: `${dir}/bad.yaml` }),
      /Kubeconfig ".*bad\.yaml" is not valid YAML/,
    );
    await writeFiles(dir, { "list.yaml": "- 1\n- 2\n" });
    await rejectsWith(
      loadKubeconfig({ path: `${dir}/list.yaml` }),
      /"[^"]*list\.yaml" is not a YAML mapping/,
    );
    await writeFiles(dir, {
      "noserver.yaml": config({ clusterA: "    insecure-skip-tls-verify: true" }),
    });
    await rejectsWith(
      loadKubeconfig({ path: `${dir}/noserver.yaml` }),
      /Kubeconfig ".*noserver\.yaml" is invalid: clusters\[0\]\.cluster\.server is missing/,
    );
  });
});

Deno.test("loadKubeconfig() rejects an unknown or missing context, cluster or user", async () => {
  await withEnv({}, async (dir) => {
    const path = `${dir}/kc.yaml`;
    await writeFiles(dir, { "kc.yaml": config() });
    await rejectsWith(
      loadKubeconfig({ path, context: "prod" }),
      /Context "prod" not found in kubeconfig ".*kc\.yaml"/,
    );
    await writeFiles(dir, { "kc.yaml": config({ currentContext: '""' }) });
    await rejectsWith(loadKubeconfig({ path }), /No current-context in kubeconfig ".*kc\.yaml"/);
    const dangling =
      "contexts:\n- name: x\n  context: { cluster: gone, user: nobody }\ncurrent-context: x\n";
    await writeFiles(dir, { "kc.yaml": dangling });
    await rejectsWith(
      loadKubeconfig({ path }),
      /Context "x" names cluster "gone", which is not in/,
    );
    const noUser = `clusters:\n- name: c\n  cluster: { server: "https://c" }\n${
      dangling.replace("gone", "c")
    }`;
    await writeFiles(dir, { "kc.yaml": noUser });
    await rejectsWith(loadKubeconfig({ path }), /Context "x" names user "nobody", which is not in/);
  });
});

Deno.test("loadKubeconfig() rejects bad servers, certificates and keys", async () => {
  await withEnv({}, async (dir) => {
    const path = `${dir}/kc.yaml`;
    await writeFiles(dir, { "kc.yaml": config({ clusterA: "    server: ftp://a.example" }) });
    await rejectsWith(
      loadKubeconfig({ path }),
      /Server "ftp:\/\/a\.example" of context "ctx-a" .* is not http\(s\)/,
    );
    await writeFiles(dir, { "kc.yaml": config() });
    await rejectsWith(
      loadKubeconfig({ path, context: "ctx-b" }),
      /Cannot read certificate-authority ".*certs\/ca\.pem" of context "ctx-b"/,
    );
    const badData = "    server: https://a\n    certificate-authority-data: '%%%'";
    await writeFiles(dir, { "kc.yaml": config({ clusterA: badData }) });
    await rejectsWith(
      loadKubeconfig({ path }),
      /certificate-authority-data of context "ctx-a" .* is not valid base64/,
    );
    await writeFiles(dir, {
      "kc.yaml": config({ userA: `    client-certificate-data: ${b64(CERT)}` }),
    });
    await rejectsWith(
      loadKubeconfig({ path }),
      /User "ua" .* has a client certificate or key without the other/,
    );
  });
});
