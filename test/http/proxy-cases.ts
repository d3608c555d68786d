/**
 * Proxy selection cases on which curl and Go agree, shared by the table test
 * and the test that asks Go's own httpproxy package (test/http/proxy-go.peer.test.ts).
 * `proxy` is the expected proxy origin, or '' for a direct connection.
 */
export interface ProxyCase {
  readonly http?: string;
  readonly https?: string;
  readonly no?: string;
  readonly url: string;
  readonly proxy: string;
}

const P = 'http://proxy.corp:3128';

export const AGREED_CASES: readonly ProxyCase[] = [
  { https: P, url: 'https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip', proxy: P },
  { http: P, url: 'https://secdb.alpinelinux.org/', proxy: '' },
  { http: P, url: 'http://mirror.example/feeds/', proxy: P },
  { http: 'proxy.corp:3128', url: 'http://mirror.example/', proxy: P },
  { https: 'https://secure-proxy.corp:8443', url: 'https://endoflife.date/api/debian.json', proxy: 'https://secure-proxy.corp:8443' },
  { https: P, url: 'https://127.0.0.1:8443/', proxy: '' },
  { https: P, url: 'https://127.9.8.7/', proxy: '' },
  { https: P, url: 'https://localhost:5000/', proxy: '' },
  { https: P, url: 'https://[::1]:5000/', proxy: '' },
  { https: P, no: '*', url: 'https://nvd.nist.gov/', proxy: '' },
  { https: P, no: 'example.com', url: 'https://example.com/', proxy: '' },
  { https: P, no: 'example.com', url: 'https://www.example.com/', proxy: '' },
  { https: P, no: 'example.com', url: 'https://notexample.com/', proxy: P },
  { https: P, no: 'example.com', url: 'https://example.com.org/', proxy: P },
  { https: P, no: ' other.org , example.com ', url: 'https://a.b.example.com/', proxy: '' },
  { https: P, no: 'EXAMPLE.com', url: 'https://WWW.Example.COM/', proxy: '' },
  { https: P, no: '.example.com', url: 'https://www.example.com/', proxy: '' },
  { https: P, no: '*.example.com', url: 'https://www.example.com/', proxy: '' },
  { https: P, no: '10.0.0.0/8', url: 'https://10.1.2.3/', proxy: '' },
  { https: P, no: '10.0.0.0/8', url: 'https://11.1.2.3/', proxy: P },
  { https: P, no: 'fd00::/8', url: 'https://[fd12::1]:443/', proxy: '' },
  { https: P, no: 'fd00::/8', url: 'https://[2001:db8::1]/', proxy: P },
  { https: P, no: '192.168.1.10', url: 'https://192.168.1.10/', proxy: '' },
  { https: P, no: '192.168.1.10', url: 'https://192.168.1.11/', proxy: P },
  { https: P, no: 'mirror.example:8443', url: 'https://mirror.example:8443/', proxy: '' },
  { https: P, no: 'mirror.example:8443', url: 'https://mirror.example/', proxy: P },
  { https: P, no: 'mirror.example:443', url: 'https://mirror.example/', proxy: '' },
  { http: P, https: 'http://other.corp:1', url: 'http://feeds.example/', proxy: P },
];
