// No shared gemspec fixture exists and Ruby is not installed here: these
// gemspecs are crafted in the exact form RubyGems writes to specifications/.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gemCataloger, parseGemspec, rubyStrings } from '../../../src/catalog/lang/gem.js';
import { memFile, viewOf } from './support.js';

const RAKE = `# -*- encoding: utf-8 -*-
# stub: rake 13.0.6 ruby lib

Gem::Specification.new do |s|
  s.name = "rake".freeze
  s.version = "13.0.6"

  s.required_rubygems_version = Gem::Requirement.new(">= 1.3.2".freeze) if s.respond_to? :required_rubygems_version=
  s.metadata = { "bug_tracker_uri" => "https://github.com/ruby/rake/issues", "source_code_uri" => "https://github.com/ruby/rake/tree/v13.0.6" } if s.respond_to? :metadata=
  s.require_paths = ["lib".freeze]
  s.authors = ["Hiroshi SHIBATA".freeze, "Eric Hodel".freeze, "Jim Weirich".freeze]
  s.bindir = "exe".freeze
  s.date = "2021-07-09"
  s.licenses = ["MIT".freeze]
  s.rubygems_version = "3.3.5".freeze
  s.summary = "Rake is a Make-like program implemented in Ruby".freeze

  s.installed_by_version = "3.3.5" if s.respond_to? :installed_by_version
end
`;

const NOKOGIRI = `# -*- encoding: utf-8 -*-
# stub: nokogiri 1.15.4 x86_64-linux lib

Gem::Specification.new do |s|
  s.name = "nokogiri".freeze
  s.version = "1.15.4"
  s.platform = "x86_64-linux".freeze
  s.licenses = [
    "MIT".freeze,
    "Apache-2.0".freeze,
  ]
end
`;

describe('gem: specifications/*.gemspec (crafted as RubyGems writes them)', () => {
  it('reads name, version and licenses from the literal assignments', async () => {
    const files = [
      memFile('usr/local/bundle/specifications/rake-13.0.6.gemspec', RAKE),
      memFile('var/lib/gems/3.1.0/specifications/nokogiri-1.15.4-x86_64-linux.gemspec', NOKOGIRI),
      memFile('usr/lib/ruby/gems/3.1.0/specifications/default/json-2.6.1.gemspec', '# stub: json 2.6.1 ruby lib\nGem::Specification.new do |s|\n  s.name = \'json\'\n  s.version = Gem::Version.new("2.6.1")\n  s.license = %q{Ruby}\nend\n'),
      memFile('app/specifications/README.md', 'not a gemspec'),
    ];
    const result = await gemCataloger.catalog(viewOf(files, (p) => gemCataloger.wants(p)), {});
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(
      result.packages.map((p) => [p.purl, p.ecosystem, p.foundBy, (p.licenses ?? []).join(',')]),
      [
        ['pkg:gem/json@2.6.1', 'rubygems', 'gem', 'Ruby'],
        ['pkg:gem/rake@13.0.6', 'rubygems', 'gem', 'MIT'],
        ['pkg:gem/nokogiri@1.15.4', 'rubygems', 'gem', 'MIT,Apache-2.0'],
      ],
    );
  });
  it('falls back to the stub comment; warns when neither gives a version', () => {
    assert.equal(parseGemspec(Buffer.from('# stub: thor 1.2.2 ruby lib\nGem::Specification.new do |s|\n  s.name = name_from_elsewhere\nend\n'), 'a').packages[0]?.purl, 'pkg:gem/thor@1.2.2');
    const r = parseGemspec(Buffer.from('Gem::Specification.new do |s|\n  s.name = "x"\n  s.version = X::VERSION\nend\n'), 'specifications/x.gemspec');
    assert.deepEqual(r, { packages: [], warnings: ['specifications/x.gemspec: gemspec without a literal version; skipped'] });
  });
  it('ruby string literals', () => {
    assert.deepEqual(rubyStrings(`["a".freeze, 'b\\'c', %q{d}]`), ['a', "b'c", 'd']);
  });
});
