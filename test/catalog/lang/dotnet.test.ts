// No shared deps.json fixture exists and the .NET SDK is not installed here: this file is
// crafted in the exact shape `dotnet publish` writes (runtimeTarget, targets, libraries).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dotnetCataloger, parseDepsJson } from '../../../src/catalog/lang/dotnet.js';
import { memFile, viewOf } from './support.js';

const DEPS = JSON.stringify({
  runtimeTarget: { name: '.NETCoreApp,Version=v6.0', signature: '' },
  compilationOptions: {},
  targets: {
    '.NETCoreApp,Version=v6.0': {
      'WebApp/1.0.0': { dependencies: { 'Newtonsoft.Json': '13.0.1', 'Serilog.AspNetCore': '6.1.0' }, runtime: { 'WebApp.dll': {} } },
      'Newtonsoft.Json/13.0.1': { runtime: { 'lib/netstandard2.0/Newtonsoft.Json.dll': { assemblyVersion: '13.0.0.0', fileVersion: '13.0.1.25517' } } },
      'Serilog.AspNetCore/6.1.0': { dependencies: { Serilog: '2.12.0' }, runtime: { 'lib/net5.0/Serilog.AspNetCore.dll': {} } },
      'Serilog/2.12.0': { runtime: { 'lib/net5.0/Serilog.dll': {} } },
    },
  },
  libraries: {
    'WebApp/1.0.0': { type: 'project', serviceable: false, sha512: '' },
    'Newtonsoft.Json/13.0.1': { type: 'package', serviceable: true, sha512: 'sha512-ppPFpBcvxdsfUonNcvITKqLl3bqxWbDCZIzDWHzjpdAHRFfZe0Dw9HmA0+za13IdyrgJwpkDTDA9fHaxOrt20A==', path: 'newtonsoft.json/13.0.1', hashPath: 'newtonsoft.json.13.0.1.nupkg.sha512' },
    'Serilog.AspNetCore/6.1.0': { type: 'package', serviceable: true, sha512: 'sha512-x', path: 'serilog.aspnetcore/6.1.0' },
    'Serilog/2.12.0': { type: 'package', serviceable: true, sha512: 'sha512-y', path: 'serilog/2.12.0' },
    'System.Runtime/4.3.0.0': { type: 'referenceassembly', serviceable: false, sha512: '' },
  },
});

describe('dotnet: *.deps.json (crafted as dotnet publish writes it)', () => {
  it('libraries of type package, dependsOn from targets', async () => {
    const r = await dotnetCataloger.catalog(viewOf([memFile('app/WebApp.deps.json', DEPS)], (p) => dotnetCataloger.wants(p)), {});
    assert.deepEqual(r.warnings, []);
    assert.deepEqual(
      r.packages.map((p) => [p.name, p.version, p.purl, p.ecosystem, p.dependsOn?.join(',')]),
      [
        ['Newtonsoft.Json', '13.0.1', 'pkg:nuget/Newtonsoft.Json@13.0.1', 'nuget', undefined],
        ['Serilog.AspNetCore', '6.1.0', 'pkg:nuget/Serilog.AspNetCore@6.1.0', 'nuget', 'pkg:nuget/Serilog@2.12.0'],
        ['Serilog', '2.12.0', 'pkg:nuget/Serilog@2.12.0', 'nuget', undefined],
      ],
    );
    assert.ok(r.packages.every((p) => p.path === 'app/WebApp.deps.json' && p.foundBy === 'dotnet'));
  });
  it('truncated JSON makes the inventory incomplete, naming the file (a deps.json lists every package)', () => {
    const r = parseDepsJson(Buffer.from(DEPS.slice(0, DEPS.length - 10)), 'app/WebApp.deps.json');
    assert.equal(r.packages.length, 0);
    assert.deepEqual(r.warnings, []);
    assert.match(r.incomplete?.[0] ?? '', /^app\/WebApp\.deps\.json: invalid JSON/);
  });
});
