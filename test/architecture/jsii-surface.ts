/**
 * The public API as jsii will see it, read from lib/index.ts's export graph with the TypeScript compiler
 * API (about as fast as one type-check of lib/, no jsii run), and the mistakes `jsii --fail-on-warnings` lets
 * through silently:
 * - an exported free function, `export const` or type alias: jsii drops it from the API (Python, Java, .NET
 *   and Go users never see it);
 * - a literal union (`'full' | 'summary'`) in a public type: jsii widens it to `string`, losing the check;
 * - an optional prop of a public interface with no `@default`: API.md and the IDE say nothing about what
 *   happens when it is left out;
 * - compared against a `.jsii` built from the same sources: a public export missing from the jsii API, or of
 *   another kind there (class, struct, behavioural interface, enum).
 * Used by jsii-surface.test.ts on lib/index.ts and on fixtures that make each mistake.
 */
import * as path from 'path';
import * as ts from 'typescript';

export type ApiKind = 'class' | 'struct' | 'interface' | 'enum' | 'function' | 'const' | 'type alias' | 'other';

export interface PublicExport {
  readonly name: string;
  readonly kind: ApiKind;
  /** Where it is declared, relative to the entry's directory's parent (e.g. `lib/core/nag.ts`). */
  readonly file: string;
}

export interface ApiScan {
  readonly exports: PublicExport[];
  /** Each problem as a message naming the export (and member) and what to change. */
  readonly problems: string[];
}

const a = (kind: string) => `${/^[aeiou]/.test(kind) ? 'an' : 'a'} ${kind}`;

const JSII_KINDS: Partial<Record<ApiKind, string>> = { class: 'class', struct: 'interface (struct)', interface: 'interface', enum: 'enum' };

function kindOf(symbol: ts.Symbol): ApiKind {
  const f = symbol.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Enum) return 'enum';
  if (f & ts.SymbolFlags.Interface) {
    // jsii: an interface whose name starts with I is behavioural; any other is a struct (data only).
    return /^I[A-Z]/.test(symbol.name) ? 'interface' : 'struct';
  }
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Variable) return 'const';
  if (f & ts.SymbolFlags.TypeAlias) return 'type alias';
  return 'other';
}

const isPublicMember = (decl: ts.Declaration): boolean => {
  const flags = ts.getCombinedModifierFlags(decl);
  if (flags & (ts.ModifierFlags.Private | ts.ModifierFlags.Protected)) return false;
  const name = (decl as ts.NamedDeclaration).name;
  return !(name && (ts.isPrivateIdentifier(name) || name.getText().startsWith('_')));
};

/** The literal union in `type` (e.g. `'full' | 'summary'`), looking into arrays and maps, or undefined. */
function literalUnion(checker: ts.TypeChecker, type: ts.Type, depth = 0): string | undefined {
  if (depth > 3) return undefined;
  if (type.isUnion()) {
    const members = type.types.filter((t) => !(t.flags & (ts.TypeFlags.Undefined | ts.TypeFlags.Null)));
    const literal = members.filter((t) => t.flags & (ts.TypeFlags.StringLiteral | ts.TypeFlags.NumberLiteral) && !(t.flags & ts.TypeFlags.EnumLiteral));
    if (literal.length > 0) return literal.map((t) => checker.typeToString(t)).join(' | ');
    for (const member of members) {
      const inner = literalUnion(checker, member, depth + 1);
      if (inner) return inner;
    }
    return undefined;
  }
  // (A lone literal, e.g. a `static readonly` string constant, is a plain string to jsii: nothing is lost.)
  // Arrays and maps of literals: look at their element / value types (named types are checked where declared).
  const element = checker.isArrayType(type) ? checker.getTypeArguments(type as ts.TypeReference)[0] : undefined;
  const mapValue = type.getStringIndexType();
  for (const inner of [element, mapValue]) {
    const found = inner && literalUnion(checker, inner, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Scans the public API of `entryFile` (lib/index.ts) with the compiler options of `tsconfigFile`. */
export function scanPublicApi(entryFile: string, tsconfigFile: string): ApiScan {
  const config = ts.readConfigFile(tsconfigFile, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, path.dirname(tsconfigFile));
  // Only this package's own sources, unresolved imports of other packages: aws-cdk-lib's declarations are
  // large and the checks need none of them (its types are checked by jsii and by tsc), which keeps the scan
  // to a few seconds. Module resolution still links the package's own files, all of them roots.
  const root = path.dirname(path.dirname(entryFile));
  const roots = ['lib', 'contracts'].flatMap((dir) => ts.sys.readDirectory(path.join(root, dir), ['.ts'], ['**/*.d.ts']));
  const program = ts.createProgram([entryFile, ...roots], { ...options, noEmit: true, isolatedModules: false, noResolve: true, types: [] });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entryFile);
  if (!source) throw new Error(`cannot read ${entryFile}`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  if (!moduleSymbol) return { exports: [], problems: [] };
  const base = root;
  const exports: PublicExport[] = [];
  const problems: string[] = [];

  const checkType = (where: string, type: ts.Type) => {
    const union = literalUnion(checker, type);
    if (union) {
      problems.push(`${where}: the literal union ${union} is widened to string by jsii (no check in Python, Java, .NET or Go): use an enum (in contracts/ when the handler reads it)`);
    }
  };

  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const kind = kindOf(symbol);
    const decl = symbol.declarations?.[0];
    const file = decl ? path.relative(base, decl.getSourceFile().fileName) : '?';
    exports.push({ name: exported.name, kind, file });
    if (kind === 'function' || kind === 'const' || kind === 'type alias' || kind === 'other') {
      const instead = kind === 'type alias' ? 'an interface or an enum' : 'a static member of a class (or keep it internal: not exported from lib/index.ts)';
      problems.push(`${exported.name} (${file}): an exported ${kind} is dropped from the jsii API (Python, Java, .NET and Go users never see it): use ${instead}`);
      continue;
    }
    if (kind === 'enum') continue;
    for (const declaration of symbol.declarations ?? []) {
      if (!ts.isClassDeclaration(declaration) && !ts.isInterfaceDeclaration(declaration)) continue;
      for (const member of declaration.members) {
        if (!isPublicMember(member)) continue;
        const memberName = member.name ? member.name.getText() : 'constructor';
        const where = `${exported.name}.${memberName} (${file})`;
        if (ts.isPropertySignature(member) || ts.isPropertyDeclaration(member) || ts.isGetAccessor(member)) {
          checkType(where, checker.getTypeAtLocation(member));
          if (ts.isInterfaceDeclaration(declaration) && member.questionToken && !ts.getJSDocTags(member).some((tag) => tag.tagName.text === 'default')) {
            problems.push(`${where}: an optional prop with no @default in its JSDoc: say what happens when it is left out (\`@default 30\`, or \`@default - none: ...\`)`);
          }
        } else if (ts.isMethodDeclaration(member) || ts.isMethodSignature(member) || ts.isConstructorDeclaration(member)) {
          const signature = checker.getSignatureFromDeclaration(member);
          for (const parameter of member.parameters) checkType(`${where} parameter ${parameter.name.getText()}`, checker.getTypeAtLocation(parameter));
          if (signature && !ts.isConstructorDeclaration(member)) checkType(`${where} return type`, signature.getReturnType());
        }
      }
    }
  }
  return { exports, problems };
}

/** How the scanned exports differ from a `.jsii` assembly (its `types`, by `<assembly>.<name>`). */
export function compareWithJsii(exports: PublicExport[], assembly: { name: string; types?: Record<string, { kind: string; datatype?: boolean }> }): string[] {
  const problems: string[] = [];
  for (const exported of exports) {
    const expected = JSII_KINDS[exported.kind];
    if (!expected) continue; // reported by the scan itself
    const type = assembly.types?.[`${assembly.name}.${exported.name}`];
    if (!type) {
      problems.push(`${exported.name} (${exported.file}) is exported by lib/index.ts as ${a(exported.kind)} but is missing from the jsii API (.jsii): re-export it with \`export { X } from '...'\` (jsii does not follow import + export)`);
      continue;
    }
    const actual = type.kind === 'interface' ? (type.datatype ? 'interface (struct)' : 'interface') : type.kind;
    if (actual !== expected) {
      problems.push(`${exported.name} (${exported.file}) is ${a(expected)} in TypeScript but ${a(actual)} in the jsii API: a struct has only readonly properties and no I prefix; a behavioural interface starts with I`);
    }
  }
  return problems;
}
