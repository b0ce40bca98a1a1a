// The table-trigger pattern's public exports.
export {};
