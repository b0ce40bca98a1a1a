// The image-processing-api pattern's public exports.
export { IMAGE_API_LIMIT_ENV, IMAGE_API_OPERATIONS } from './contract';
export * from './image-processing-api';
