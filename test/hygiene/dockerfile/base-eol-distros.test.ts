/**
 * dockerfile/base-eol for the distributions added with issue #14: the base
 * image names their vendors publish (`oraclelinux:7`, `quay.io/centos/centos:stream8`,
 * `opensuse/leap:15.4`, `photon:3.0`, CBL-Mariner, SUSE BCI) are read as
 * release cycles, and a Dockerfile on an ended one is reported.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { baseCycles } from '../../../src/hygiene/dockerfile/checks/base-eol.js';
import { lintDockerfile } from '../../../src/hygiene/dockerfile/lint.js';
import { BUNDLED_EOL_DATA } from '../../../src/hygiene/eol.js';

test('vendor base image names map to their EOL product and cycle', () => {
  const cases: [string, string, string[]][] = [
    ['oraclelinux', '7-slim', ['ol 7']],
    ['quay.io/centos/centos', 'stream8', ['centos-stream 8']],
    ['quay.io/centos/centos', '7', ['centos 7']],
    ['opensuse/leap', '15.4', ['opensuse-leap 15.4']],
    ['photon', '3.0', ['photon 3.0']],
    ['mcr.microsoft.com/cbl-mariner/base/core', '2.0', ['azurelinux 2.0']],
    ['mcr.microsoft.com/azurelinux/base/core', '3.0', ['azurelinux 3.0']],
    ['registry.suse.com/bci/bci-base', '15.5', ['sles 15.5']],
    ['cgr.dev/chainguard/wolfi-base', 'latest', []], // rolling
  ];
  for (const [name, tag, expected] of cases) {
    assert.deepEqual(baseCycles(name, tag, BUNDLED_EOL_DATA).map((c) => `${c.product} ${c.version}`), expected, `${name}:${tag}`);
  }
});

test('a Dockerfile FROM an ended release of each is reported, a supported one is not', () => {
  const text = ['FROM oraclelinux:6', 'FROM quay.io/centos/centos:stream8', 'FROM opensuse/leap:15.3', 'FROM mcr.microsoft.com/cbl-mariner/base/core:1.0', 'FROM oraclelinux:9', 'RUN true', ''].join('\n');
  const { findings } = lintDockerfile(text, { now: new Date('2026-12-07T00:00:00Z'), file: 'Dockerfile' });
  const eol = findings.filter((f) => f.ruleId === 'dockerfile/base-eol');
  assert.deepEqual(eol.map((f) => f.location.line), [1, 2, 3, 4]);
  assert.match(eol[1]!.message, /CentOS Stream 8/);
});
