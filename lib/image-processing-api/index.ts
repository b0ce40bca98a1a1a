// The image-processing-api pattern's public exports.
export * from './contract';
export * from './image-processing-api';
