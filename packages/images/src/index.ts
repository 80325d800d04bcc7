export { ensureImages, imagePaths, type EnsureImagesOptions } from "./build.ts";
export { imagesDir, readManifest, type ImageManifest } from "./manifest.ts";
export { AptUnavailableError } from "./apt.ts";
export { TINY_DEFAULT_HOSTNAME, TINY_PROMPT } from "./guest-files.ts";
export { TINY_CMDLINE } from "./tiny-linux.ts";
