// The pattern's three functions: the harness (index.ts), the HTTPS invoker and the deploy gate / monitor.
// ES module builds of the SDK and Powertools let esbuild tree-shake them.
export const esbuildOptions = {
  mainFields: ['module', 'main'],
};

export const roles = {
  invoker: { esbuildOptions: { mainFields: ['module', 'main'] } },
  gate: { esbuildOptions: { mainFields: ['module', 'main'] } },
};
