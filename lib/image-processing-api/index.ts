// The image-processing-api pattern's public exports.
export {};
