/**
 * The generated passwords in end-to-end tests: a ledger of every value each
 * pgop Secret ever held (a second value is a regenerated password), and a
 * search for them, plain or base64, in text that must not contain them
 * (logs, Events, status, metrics).
 *
 * @module
 */
import type { Secret } from "kubernetes-types/core/v1.d.ts";
import { Resources } from "../../lib/kube/resource.ts";
import type { KubeClient } from "../../lib/kube/types.ts";
import { PGOP_CHILDREN, sleep } from "./reliability.ts";

/** The password in a pgop Secret (base64-decoded `data.password`), or undefined. */
export function passwordOf(secret: Secret): string | undefined {
  const encoded = secret.data?.password;
  return encoded ? atob(encoded) : undefined;
}

/**
 * Every password pgop's Secrets ever held, as seen by sampling: the first
 * value of each Secret is kept, and any later different value (a
 * regenerated password, a Secret recreated with a new one) is a change.
 */
export class PasswordLedger {
  readonly #first = new Map<string, { password: string; uid: string }>();
  readonly #changes: string[] = [];
  #samples = 0;
  #failures = 0;

  /** Secret key (namespace/name) → the first password seen. */
  get passwords(): ReadonlyMap<string, string> {
    return new Map([...this.#first].map(([k, v]) => [k, v.password]));
  }

  /** Every change seen, as sentences; empty when each Secret kept its first password. */
  get changes(): readonly string[] {
    return this.#changes;
  }

  /** Samples taken and samples that failed (the API server was down). */
  get counts(): { samples: number; failures: number } {
    return { samples: this.#samples, failures: this.#failures };
  }

  /** Reads every pgop Secret once and records what it holds; never throws. */
  async sample(client: KubeClient): Promise<void> {
    let secrets: Secret[];
    try {
      secrets = (await client.list<Secret>(Resources.secrets, { labelSelector: PGOP_CHILDREN }))
        .items;
    } catch {
      this.#failures++;
      return;
    }
    this.#samples++;
    for (const secret of secrets) {
      const key = `${secret.metadata?.namespace}/${secret.metadata?.name}`;
      const password = passwordOf(secret) ?? "";
      const uid = secret.metadata?.uid ?? "";
      const first = this.#first.get(key);
      if (!first) {
        this.#first.set(key, { password, uid });
      } else if (first.password !== password) {
        this.#changes.push(
          `Secret ${key}: password changed (uid ${first.uid} → ${uid})`,
        );
        this.#first.set(key, { password, uid });
      }
    }
  }

  /** Samples every `intervalMs` until the returned function is called (it resolves once stopped). */
  start(client: KubeClient, intervalMs = 250): () => Promise<void> {
    let running = true;
    const loop = (async () => {
      while (running) await Promise.all([this.sample(client), sleep(intervalMs)]);
    })();
    return async () => {
      running = false;
      await loop;
      await this.sample(client);
    };
  }
}

/**
 * The forms in which `secret` could leak into text: as is, and as the
 * stable middle of its base64 at each of the three byte alignments (so it
 * is found inside the base64 of a longer value, such as a connection URI).
 */
export function secretForms(secret: string): string[] {
  const forms = [secret];
  for (const pad of [0, 1, 2]) {
    const encoded = btoa("\0".repeat(pad) + secret);
    // Drop the characters that mix in bits of the padding or of what follows.
    const start = pad === 0 ? 0 : 4;
    const end = encoded.length - 4;
    forms.push(encoded.slice(start, end));
  }
  return forms;
}

/** Names of the `passwords` (by Secret) found in `text` in any of {@link secretForms}. */
export function leakedIn(text: string, passwords: ReadonlyMap<string, string>): string[] {
  const found: string[] = [];
  for (const [secret, password] of passwords) {
    if (secretForms(password).some((form) => text.includes(form))) found.push(secret);
  }
  return found;
}
