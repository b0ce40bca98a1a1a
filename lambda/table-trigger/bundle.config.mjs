// Prefer the ES module builds of the AWS SDK and Powertools: esbuild can tree-shake them, so the bundle
// carries the two commands the handler sends rather than every command of both clients.
export const esbuildOptions = {
  mainFields: ['module', 'main'],
};
