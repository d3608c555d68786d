// Types for spdx-expression-parse@5 (it ships none; @types/spdx-expression-parse is not a dependency).
declare module 'spdx-expression-parse' {
  interface LicenseInfo {
    license: string;
    plus?: true;
    exception?: string;
  }
  interface ConjunctionInfo {
    conjunction: 'and' | 'or';
    left: LicenseInfo | ConjunctionInfo;
    right: LicenseInfo | ConjunctionInfo;
  }
  function parse(expression: string): LicenseInfo | ConjunctionInfo;
  export = parse;
}
