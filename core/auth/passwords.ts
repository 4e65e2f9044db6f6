/**
 * Password hashing with scrypt (memory-hard: N=2^15, r=8 uses 32 MiB per hash) and the
 * password policy. Hashes are self-describing so the cost can be raised later.
 */
import { randomBytes, randomInt, scrypt, timingSafeEqual } from 'node:crypto';
import type { ErrorCode } from '../errors.ts';

const params = { N: 2 ** 15, r: 8, p: 1 };
const keyLength = 32;

function derive(password: string, salt: Buffer, N: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, { N, r, p, maxmem: 256 * N * r }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await derive(password, salt, params.N, params.r, params.p);
  return `scrypt$${params.N}$${params.r}$${params.p}$${salt.toString('base64url')}$${key.toString('base64url')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, key] = stored.split('$');
  if (kind !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await derive(password, Buffer.from(salt, 'base64url'), Number(n), Number(r), Number(p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

/** A hash that no password matches, for comparing against when the user does not exist. */
let dummyHash: Promise<string> | undefined;
export function timingDummyHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}

export const minPasswordLength = 10;

/** The policy: long enough, letters and digits, not the username. Returns the broken rule. */
export function passwordProblem(password: string, username: string): ErrorCode | null {
  if (password.length < minPasswordLength) return 'password_too_short';
  if (!/\p{L}/u.test(password) || !/\p{N}/u.test(password)) return 'password_too_weak';
  if (password.toLowerCase().includes(username.toLowerCase()) && username.length > 0)
    return 'password_same_as_username';
  return null;
}

const alphabet = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
/** A temporary password an admin hands over; the user must change it at first login. */
export function temporaryPassword(length = 12): string {
  let out = '';
  while (passwordProblem(out, '') !== null) {
    out = '';
    for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  }
  return out;
}
