export * from "./accel.ts";
export * from "./argv.ts";
export * from "./process.ts";
export * from "./qmp.ts";
export * from "./runtime-paths.ts";
export * from "./socket-path.ts";
export * as qemuImg from "./qemu-img.ts";
export * from "./unix-connect.ts";
export * from "./instance.ts";
