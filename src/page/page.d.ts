// wrangler's default module rules import *.html as Text (a string); vitest-pool-workers does the same.
declare module "*.html" {
  const text: string;
  export default text;
}
