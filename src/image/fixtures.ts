// Test helper: the committed fixture images as bytes, in workerd and in Node alike. Vite inlines each
// file as a base64 data URL at transform time, so no file system is needed at run time.
const urls = import.meta.glob("../../test/fixtures/images/**/*.{jpg,jpeg,png,gif,webp,heic,avif,bmp,tif,bin}", {
  query: "?inline",
  import: "default",
  eager: true,
}) as Record<string, string>;

function fromDataUrl(url: string): Uint8Array {
  const b64 = url.slice(url.indexOf(",") + 1);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Bytes of `test/fixtures/images/<name>`; throws when the fixture is missing. */
export function fixture(name: string): Uint8Array {
  const url = urls[`../../test/fixtures/images/${name}`];
  if (url === undefined) throw new Error(`no fixture ${name}`);
  return fromDataUrl(url);
}

export const fixtureNames = (): string[] => Object.keys(urls).map((k) => k.replace("../../test/fixtures/images/", ""));
