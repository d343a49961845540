// esbuild bundles imported CSS into dist/app.css.
declare module '*.css';
