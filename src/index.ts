export default {
  async fetch(): Promise<Response> {
    return new Response("cropgate scaffold");
  },
} satisfies ExportedHandler;
