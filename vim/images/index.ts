export { ImageStore, isLocalCompute, type SoftwareImageSource } from './image-store.js';
