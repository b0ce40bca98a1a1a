// The image-processing-api pattern's public exports.
export * from './image-processing-api';
export * from './props';
