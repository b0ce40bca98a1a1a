/** Key endings of everything the worker writes under the output prefix (see renderOutputKeys). */
export const OUTPUT_SUFFIXES: ReadonlyArray<string> = ['.png', '.log'];

/** The key layout of a LambdaEcsWorker bucket. */
export interface KeyLayout {
  readonly inputPrefix: string;
  readonly inputSuffixes: readonly string[];
  readonly outputPrefix: string;
}

/**
 * Every problem with a key layout, phrased as what to change; empty when it is valid. Above all, an
 * object the worker writes must never match the notification filters, or each render would start
 * another render.
 */
export function validateKeyLayout(layout: KeyLayout): string[] {
  const errors: string[] = [];
  const { inputPrefix, inputSuffixes, outputPrefix } = layout;
  if (inputPrefix.startsWith('/')) errors.push(`inputPrefix '${inputPrefix}' must not start with '/': S3 keys have no leading slash`);
  if (outputPrefix === '') errors.push("outputPrefix must not be empty: give outputs a folder of their own, e.g. 'renders/'");
  if (outputPrefix.startsWith('/')) errors.push(`outputPrefix '${outputPrefix}' must not start with '/': S3 keys have no leading slash`);
  for (const [name, value] of [
    ['inputPrefix', inputPrefix],
    ['outputPrefix', outputPrefix],
  ] as const) {
    if (/[*?]/.test(value)) errors.push(`${name} '${value}' must be a literal prefix: S3 notification filters do not support wildcards`);
  }

  if (inputSuffixes.length === 0) errors.push("inputSuffixes must list at least one suffix, e.g. ['.zip']");
  for (const suffix of inputSuffixes) {
    if (suffix === '') errors.push("inputSuffixes must not contain '': an empty suffix matches every key, outputs included");
    else if (/[*?/]/.test(suffix)) errors.push(`inputSuffixes entry '${suffix}' must be a literal key ending without '/', '*' or '?'`);
  }
  const seen = new Set<string>();
  inputSuffixes.forEach((suffix, i) => {
    if (seen.has(suffix)) errors.push(`inputSuffixes lists '${suffix}' twice`);
    seen.add(suffix);
    inputSuffixes.forEach((other, j) => {
      if (i !== j && suffix !== '' && other !== suffix && other.endsWith(suffix)) {
        errors.push(
          `inputSuffixes '${other}' and '${suffix}' overlap (every key ending in '${other}' also ends in '${suffix}'), ` +
            'which S3 rejects for notifications on one prefix: keep only the shorter one',
        );
      }
    });
  });

  // Can an output key start with the input prefix? Outputs are `<outputPrefix><anything>`, so yes exactly when
  // one prefix starts with the other.
  const prefixesOverlap = outputPrefix.startsWith(inputPrefix) || inputPrefix.startsWith(outputPrefix);
  if (prefixesOverlap && outputPrefix !== '') {
    const retriggering = inputSuffixes.filter((suffix) => suffix !== '' && OUTPUT_SUFFIXES.some((out) => out.endsWith(suffix)));
    if (retriggering.length > 0) {
      errors.push(
        `outputs could re-trigger the pipeline: the output prefix '${outputPrefix}' overlaps the input prefix '${inputPrefix}' and ` +
          `the allowed suffix(es) ${retriggering.map((s) => `'${s}'`).join(', ')} match what the worker writes (${OUTPUT_SUFFIXES.join(', ')}). ` +
          "Use separate prefixes (e.g. inputPrefix 'scenes/', outputPrefix 'renders/')",
      );
    }
  }
  return errors;
}
