import type { Digest } from '../request/digest.js';

/** What a policy bundle says about itself. No build time: the same inputs give the same bytes. */
export interface BundleMetadata {
  /** Human label, e.g. "2026-11-24.1"; unique per published bundle. */
  version: string;
  /** Monotonically increasing integer; activation of a lower one needs --rollback. */
  revision: number;
  /** The git commit the policies were built from, when the directory is in a git checkout. */
  gitCommit: string | null;
}

/** The signed content: everything a gate needs, as the policy directory's files. */
export interface BundleBody {
  format: 'actiongate.policy-bundle';
  v: 1;
  metadata: BundleMetadata;
  /** Policy-set files by posix path (surfaces.json, schema.cedarschema, <surface>/*.cedar). */
  files: Record<string, string>;
}

/** A bundle file: the body and its Ed25519 signature. Stored and shipped as canonical JSON + "\n". */
export interface SignedBundle {
  body: BundleBody;
  signature: { alg: 'Ed25519'; keyId: string; value: string };
}

/** A bundle whose signature checked out against a trusted key. */
export interface VerifiedBundle {
  /** sha256 over the RFC 8785 bytes of `body`: the bundle's identity everywhere. */
  digest: Digest;
  body: BundleBody;
  keyId: string;
  /** The exact bytes it was read from. */
  text: string;
}
