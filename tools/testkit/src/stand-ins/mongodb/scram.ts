// The server side of SCRAM-SHA-256 (RFC 5802 with SHA-256, RFC 7677) as MongoDB runs it through saslStart /
// saslContinue: the client-first message `n,,n=<user>,r=<nonce>`, the server-first `r=<nonce+server nonce>,s=<salt>,
// i=<iterations>`, the client-final `c=biws,r=…,p=<proof>` checked against the stored key, the server-final
// `v=<server signature>`. Credentials are kept as MongoDB keeps them: salt, iteration count, StoredKey, ServerKey.
import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';

export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();

/** The stored credential of a password (ASCII passwords: SASLprep leaves them unchanged). */
export function scramCredential(password: string, iterations = 15000): ScramCredential {
  const salt = randomBytes(28);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = hmac(salted, 'Client Key');
  return { salt, iterations, storedKey: createHash('sha256').update(clientKey).digest(), serverKey: hmac(salted, 'Server Key') };
}

function attributes(message: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) map.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return map;
}

/** One SASL conversation in progress on a connection. */
export class ScramConversation {
  private clientFirstBare = '';
  private serverFirst = '';
  private nonce = '';
  readonly user: string;

  private constructor(user: string) {
    this.user = user;
  }

  /** Starts from the client-first message; the credential is undefined for an unknown user (found out at the proof). */
  static start(clientFirst: string, credential: ScramCredential | undefined): { conversation: ScramConversation; serverFirst: string } {
    if (!clientFirst.startsWith('n,')) throw new Error('channel binding is not supported');
    const bare = clientFirst.slice(clientFirst.indexOf(',', 2) + 1);
    const attrs = attributes(bare);
    const user = (attrs.get('n') ?? '').replace(/=2C/g, ',').replace(/=3D/g, '=');
    const clientNonce = attrs.get('r');
    if (!clientNonce) throw new Error('client nonce missing');
    const conversation = new ScramConversation(user);
    conversation.clientFirstBare = bare;
    conversation.nonce = clientNonce + randomBytes(24).toString('base64');
    // An unknown user still gets a believable challenge, so the answer does not reveal which users exist.
    const salt = credential?.salt ?? randomBytes(28);
    const iterations = credential?.iterations ?? 15000;
    conversation.serverFirst = `r=${conversation.nonce},s=${salt.toString('base64')},i=${iterations}`;
    return { conversation, serverFirst: conversation.serverFirst };
  }

  /** Checks the client-final message; the server-final message when the proof is right, else undefined. */
  finish(clientFinal: string, credential: ScramCredential | undefined): string | undefined {
    const attrs = attributes(clientFinal);
    if (attrs.get('r') !== this.nonce || !credential) return undefined;
    const proof = Buffer.from(attrs.get('p') ?? '', 'base64');
    const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='));
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const signature = hmac(credential.storedKey, authMessage);
    if (proof.length !== signature.length) return undefined;
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = (proof[i] as number) ^ (signature[i] as number);
    if (!timingSafeEqual(createHash('sha256').update(clientKey).digest(), credential.storedKey)) return undefined;
    return `v=${hmac(credential.serverKey, authMessage).toString('base64')}`;
  }
}
