/**
 * What every command registration shares: the output streams, the exit code
 * the chosen command sets, the registry flags and the help texts that several
 * commands print.
 */
import type { Command } from 'commander';
import { parseBooleanFlag } from '../flags.js';
import type { OutputStreams } from '../output.js';

export interface CommandContext {
  readonly io: OutputStreams;
  /** Set by the action of the command that ran. */
  exitCode: number;
}

export const REGISTRY_HELP = `
Registry flags (as in skopeo):
  --tls-verify=false   allow plain HTTP and unverified TLS (a registry on localhost,
                       127.0.0.0/8 or ::1 may answer plain HTTP without it;
                       --tls-verify=true refuses that too)
  --cert-dir DIR       CA certificates (*.crt) and client pairs (*.cert/*.key)
  --creds USER:PASS    credentials (otherwise from --authfile, REGISTRY_AUTH_FILE,
                       containers auth.json or ~/.docker/config.json)
  --authfile FILE      auth file to read
  --timeout DURATION   default 60s: idle timeout for every request, and deadline
                       for whole manifests, tokens and lists (blobs may take longer
                       as long as bytes keep coming)`;

export const TRANSPORTS_HELP = `
Image names:
  docker://HOST/REPO[:TAG|@DIGEST]   a registry (a bare name like alpine means
                                     docker://docker.io/library/alpine:latest)
  oci:DIR[:REF]                      an OCI image layout directory
  oci-archive:FILE[:REF]             a tar of an OCI image layout
  docker-archive:FILE[:REF|@N]       the output of docker save
  ./image.tar, ./layout, /abs/path   a path alone: the format is recognised from
                                     what is there (docs/transports.md)`;

export function addRegistryFlags(command: Command): Command {
  return command
    .option('--tls-verify [bool]', 'require HTTPS and verify certificates (default true; a loopback registry may still answer plain HTTP unless =true is given)', (v: string) => parseBooleanFlag(v, 'tls-verify'))
    .option('--cert-dir <dir>', 'directory with CA certificates and client certificate pairs')
    .option('--creds <user:pass>', 'registry credentials')
    .option('--authfile <file>', 'auth file (docker config.json or containers auth.json format)')
    .option('--timeout <duration>', 'registry timeout (default 60s): idle limit of every request, deadline of manifests, tokens and lists (e.g. 30s, 2m)')
    .option('--retries <n>', 'retries for 429/5xx/connection resets');
}

/** For repeatable flags (`-a k=v -a k2=v2`): collects every value in order. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
