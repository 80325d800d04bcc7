// Lint rules that docs/conventions.md asks for: typed TS rules, and process.env only in the env modules.
import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["**/node_modules/**", "**/.next/**", "**/generated/**", ".data/**", "**/next-env.d.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_" },
      ],
      "@typescript-eslint/no-non-null-assertion": "off",
      "no-restricted-properties": [
        "error",
        { object: "process", property: "env", message: "Read the environment in the package's env module only." },
      ],
    },
  },
  {
    files: ["**/*.mjs"],
    languageOptions: { globals: { process: "readonly", console: "readonly" } },
  },
  {
    // The places allowed to read the environment, and tools/tests that pass it through.
    files: [
      "**/env.ts",
      "**/env.server.ts",
      "scripts/**",
      "bench/**",
      "e2e/**",
      "**/*.test.ts",
      "**/testing.ts",
      "**/*.test-support.ts",
      "prisma.config.ts",
      "packages/images/src/cli.ts",
      "apps/console/server.ts",
      "apps/console/src/server/request.server.ts",
      "packages/qemu/src/testing/**",
      "packages/images/src/apt.ts",
      "packages/rfb/bench/**",
      "packages/images/src/testing/**",
      "packages/shared/src/crash-point.ts",
    ],
    rules: { "no-restricted-properties": "off" },
  },
);
