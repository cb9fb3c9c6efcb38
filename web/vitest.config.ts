// Vitest: the web app's component tests (test/*.test.ts[x]) in happy-dom, with Preact's JSX
// runtime as in the build. `npx vitest run` (scripts/run-tests.sh runs them in `make test`).
import { defineConfig } from 'vitest/config';

export default defineConfig({
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  test: {
    environment: 'happy-dom',
    include: ['test/**/*.test.{ts,tsx}'],
    setupFiles: ['test/setup.ts'],
    restoreMocks: true,
  },
});
