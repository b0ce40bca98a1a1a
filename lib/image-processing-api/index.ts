// The image-processing-api pattern's public exports.
export { IMAGE_API_LIMIT_ENV, IMAGE_API_OPERATIONS } from '../../contracts/image-processing-api/limits';
export * from './image-processing-api';
export * from './props';
