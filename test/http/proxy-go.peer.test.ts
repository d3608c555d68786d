/**
 * The proxy cases of proxy-cases.ts, answered by Go's own
 * golang.org/x/net/http/httpproxy (what Go's net/http uses for
 * HTTPS_PROXY/NO_PROXY; Debian's golang-golang-x-net-dev): our proxyFor must
 * choose what Go chooses on every case where curl and Go agree.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { proxyFor } from '../../src/http/index.js';
import { runCommand } from '../support/peers.js';
import { missingPeer } from '../support/require-peer.js';
import { AGREED_CASES } from './proxy-cases.js';

const GOPATH = '/usr/share/gocode';
const ORACLE = `package main

import (
	"encoding/json"
	"net/url"
	"os"

	"golang.org/x/net/http/httpproxy"
)

type tc struct{ HTTP, HTTPS, No, URL string }

func main() {
	var cases []tc
	if err := json.NewDecoder(os.Stdin).Decode(&cases); err != nil {
		panic(err)
	}
	out := []string{}
	for _, k := range cases {
		u, err := url.Parse(k.URL)
		if err != nil {
			panic(err)
		}
		p, err := (&httpproxy.Config{HTTPProxy: k.HTTP, HTTPSProxy: k.HTTPS, NoProxy: k.No}).ProxyFunc()(u)
		switch {
		case err != nil:
			out = append(out, "error: "+err.Error())
		case p == nil:
			out = append(out, "")
		default:
			out = append(out, p.Scheme+"://"+p.Host)
		}
	}
	_ = json.NewEncoder(os.Stdout).Encode(out)
}
`;

test('proxyFor chooses what Go’s httpproxy chooses', async (t) => {
  if (!existsSync(join(GOPATH, 'src/golang.org/x/net/http/httpproxy'))) return missingPeer(t, 'Go with golang-golang-x-net-dev');
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-proxy-go-'));
  try {
    await writeFile(join(dir, 'main.go'), ORACLE);
    const input = JSON.stringify(AGREED_CASES.map((c) => ({ HTTP: c.http ?? '', HTTPS: c.https ?? '', No: c.no ?? '', URL: c.url })));
    const run = await runCommand('go', ['run', 'main.go'], {
      cwd: dir,
      input,
      env: { ...process.env, GO111MODULE: 'off', GOPATH, GOCACHE: join(dir, 'cache'), GOFLAGS: '' },
      timeoutMs: 120_000,
    });
    assert.equal(run.code, 0, run.stderr);
    const go = JSON.parse(run.stdout) as string[];
    assert.equal(go.length, AGREED_CASES.length);
    AGREED_CASES.forEach((c, i) => {
      assert.equal(go[i], c.proxy, `Go on ${JSON.stringify(c)}`);
      const env: Record<string, string> = {};
      if (c.http) env.HTTP_PROXY = c.http;
      if (c.https) env.HTTPS_PROXY = c.https;
      if (c.no) env.NO_PROXY = c.no;
      assert.equal(proxyFor(new URL(c.url), env).proxy?.origin ?? '', go[i], `ours on ${JSON.stringify(c)}`);
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
