/**
 * API keys → accounts. The keys file (JSON, keep it 0600):
 *   { "keys": [ { "key": "sk-…", "account": "acct-17", "accountId": 17 }, … ] }
 * With a payload in the spec, `accountId` is the message embedded in every response
 * sent to that account, so it is required and must fit in the payload's bits.
 *
 * Keys are held only as SHA-256 digests after loading, and no error message quotes
 * a key: the file's position ("keys[3]") identifies a bad entry instead.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { z } from 'zod';
import { CliError } from '@tracemark/detector';

export interface Account {
  account: string;
  /** Numeric id (the payload message when the spec has a payload); null when absent. */
  accountId: number | null;
}

const EntrySchema = z.strictObject({
  key: z
    .string({ error: 'key must be a string' })
    .min(16, 'key must be at least 16 characters')
    .max(256, 'key must be at most 256 characters')
    .regex(/^[\x21-\x7e]+$/, 'key must be printable ASCII without spaces'),
  account: z
    .string({ error: 'account must be a string' })
    .min(1, 'account must not be empty')
    .max(200, 'account must be at most 200 characters')
    .regex(/^[^,\s]+$/, 'account must not contain commas or whitespace'),
  accountId: z
    .number({ error: 'accountId must be a number' })
    .int('accountId must be an integer')
    .min(0, 'accountId must be ≥ 0')
    .max(Number.MAX_SAFE_INTEGER, 'accountId is too large')
    .optional(),
});
const FileSchema = z.strictObject({
  keys: z.array(EntrySchema, { error: 'keys must be an array' }).min(1, 'keys must list at least one key'),
});

function digest(key: string): string {
  return bytesToHex(sha256(new TextEncoder().encode(key)));
}

export class ApiKeys {
  readonly #byDigest = new Map<string, Account>();
  readonly accounts: readonly Account[];

  private constructor(entries: { key: string; account: Account }[]) {
    const accounts = new Map<string, Account>();
    for (const e of entries) {
      this.#byDigest.set(digest(e.key), e.account);
      accounts.set(e.account.account, e.account);
    }
    this.accounts = [...accounts.values()];
  }

  /**
   * Parse and validate a keys file. `payloadBits` (from the spec) makes accountId
   * required and bounded by 2^bits.
   */
  static parse(text: string, source: string, payloadBits: number | null): ApiKeys {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new CliError(`${source}: API keys file is not valid JSON`);
    }
    const r = FileSchema.safeParse(json);
    if (!r.success) {
      const i = r.error.issues[0]!;
      const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
      throw new CliError(`${source}: invalid API keys file: ${path || '(root)'}: ${i.message}`);
    }
    const seen = new Set<string>();
    const idOf = new Map<string, number | null>();
    const accountOfId = new Map<number, string>();
    const entries: { key: string; account: Account }[] = [];
    r.data.keys.forEach((e, i) => {
      const d = digest(e.key);
      if (seen.has(d)) throw new CliError(`${source}: keys[${i}] repeats an earlier key`);
      seen.add(d);
      const accountId = e.accountId ?? null;
      if (payloadBits !== null) {
        if (accountId === null) {
          throw new CliError(`${source}: keys[${i}] (account ${e.account}) needs an accountId: the spec embeds a ${payloadBits}-bit payload`);
        }
        if (payloadBits < 53 && accountId >= 2 ** payloadBits) {
          throw new CliError(`${source}: keys[${i}] accountId ${accountId} does not fit the spec's ${payloadBits}-bit payload`);
        }
      }
      const prev = idOf.get(e.account);
      if (prev !== undefined && prev !== accountId) {
        throw new CliError(`${source}: account ${e.account} is given two different accountIds`);
      }
      idOf.set(e.account, accountId);
      if (accountId !== null) {
        const other = accountOfId.get(accountId);
        if (other !== undefined && other !== e.account) {
          throw new CliError(`${source}: accountId ${accountId} is used by both ${other} and ${e.account}`);
        }
        accountOfId.set(accountId, e.account);
      }
      entries.push({ key: e.key, account: { account: e.account, accountId } });
    });
    return new ApiKeys(entries);
  }

  /** The account of a presented key, or null. */
  lookup(key: string): Account | null {
    return this.#byDigest.get(digest(key)) ?? null;
  }

  get size(): number {
    return this.#byDigest.size;
  }

  // A keys object must not print its contents by accident.
  toJSON(): { keys: number; accounts: number } {
    return { keys: this.size, accounts: this.accounts.length };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ApiKeys(${this.size} keys, ${this.accounts.length} accounts)`;
  }
}
